"""Words for the app's state: the tray tooltip, the preview overlay, and which errors to show.

Pure functions of a :class:`vbg.stats.Stats` snapshot, plus two small state machines with an
injected clock (:class:`MessageThrottle`, :class:`CameraWatch`), so none of it needs Qt or time
to pass in tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from vbg.stats import Stats

# Stage names in pipeline order; others (from a newer engine) follow alphabetically.
STAGE_ORDER = ("read", "prep", "infer", "smooth", "refine", "composite")

STATE_WORDS = {
    "running": "running",
    "holding": "catching up (mask late)",
    "paused": "background only",
    "stopped": "off",
}


@dataclass(frozen=True)
class AppStatus:
    """What the tooltip and status line describe: is the pipeline ``running`` (On), did the
    user ``paused`` it, the stats, and whether a virtual camera is open (its device name)."""

    running: bool
    paused: bool = False
    stats: Stats | None = None
    vcam_device: str | None = None
    waiting_for: str | None = None  # e.g. "camera 0" while vbg waits for it to come back


def stage_line(stage_ms: dict[str, float]) -> str:
    """``infer 3.1 · refine 1.2 · composite 2.0 ms`` (known stages first, "process" and
    "latency" left out: they have their own places)."""
    keys = [k for k in STAGE_ORDER if k in stage_ms]
    keys += sorted(k for k in stage_ms if k not in STAGE_ORDER and k not in ("process",
                                                                            "latency"))
    if not keys:
        return ""
    return " · ".join(f"{k} {stage_ms[k]:.1f}" for k in keys) + " ms"


def overlay_lines(stats: Stats, preview_fps: float | None = None) -> list[str]:
    """The lines of the preview's FPS overlay."""
    first = f"{stats.output_fps:4.1f} fps out · {stats.process_fps:4.1f} processed · " \
            f"{stats.capture_fps:4.1f} captured"
    if preview_fps is not None:
        first += f" · {preview_fps:4.1f} drawn"
    lines = [first]
    per_frame = stats.stage_ms.get("process")
    stages = stage_line(stats.stage_ms)
    if stages:
        lines.append(stages + (f" (total {per_frame:.1f} ms)" if per_frame else ""))
    detail = [f"latency {stats.latency_ms:.0f} ms"]
    if stats.model:
        detail.append(stats.model)
    if stats.provider:
        detail.append(stats.provider)
    lines.append(" · ".join(detail))
    if stats.state not in ("running", "stopped"):
        lines.append(STATE_WORDS.get(stats.state, stats.state))
    return lines


def _source_text(stats: Stats) -> str:
    w, h = stats.source_size
    size = f" {w}×{h}" if w and h else ""
    return f"{stats.source or 'no source'}{size}"


def icon_state(status: AppStatus) -> str:
    """Which app icon shows the state: "off", "paused", "idle" (on, but nobody watches: the
    camera is off) or "on" (live)."""
    if not status.running:
        return "off"
    if status.paused:
        return "paused"
    if status.stats is not None and status.stats.activity == "idle":
        return "idle"
    return "on"


IDLE_LINE = "Idle · camera off until an app uses the virtual camera"


def status_line(status: AppStatus) -> str:
    """One line for the tray menu's caption and the window's status bar."""
    if not status.running:
        return "Off"
    if status.waiting_for:
        return f"Waiting for {status.waiting_for}…"
    s = status.stats or Stats()
    if status.paused:
        return f"Paused · {_source_text(s)}"
    if s.activity == "idle":
        return IDLE_LINE
    return f"{_source_text(s)} · {s.output_fps:.0f} fps"


def tooltip(status: AppStatus) -> str:
    """The tray tooltip: state, camera and rate, virtual camera on/off."""
    state = icon_state(status)
    head = "vbg — " + {"paused": "paused (background only)",
                       "idle": "idle (nobody is watching; camera off)",
                       "on": "live" if status.stats is not None and status.stats.activity == "live"
                       else "on"}.get(state, "off")
    lines = [head]
    if status.running and state != "idle":
        if status.waiting_for:
            lines.append(f"Waiting for {status.waiting_for}…")
        else:
            s = status.stats or Stats()
            lines.append(f"{_source_text(s)} · {s.output_fps:.0f} fps")
    vcam = f"on ({status.vcam_device})" if status.vcam_device else "off"
    lines.append(f"Virtual camera: {vcam}")
    return "\n".join(lines)


class MessageThrottle:
    """Decides whether a message may be shown: ``allow`` is True the first time, then False
    for the same text during ``quiet_s`` seconds; a different text always passes.

    The pipeline reports a camera outage once (again only when the reason changes), but an
    outage that comes and goes, or a start retried every two seconds while a camera is missing,
    would repeat the same sentence; the user needs to hear it once.
    """

    def __init__(self, quiet_s: float = 30.0) -> None:
        self.quiet_s = quiet_s
        self._last: dict[str, float] = {}

    def allow(self, message: str, now: float) -> bool:
        last = self._last.get(message)
        if last is not None and now - last < self.quiet_s:
            return False
        self._last[message] = now
        return True

    def forget(self, message: str | None = None) -> None:
        """Allow ``message`` (or every message) again right away."""
        if message is None:
            self._last.clear()
        else:
            self._last.pop(message, None)


class CameraWatch:
    """Tracks a camera that failed while running, to say when it works again.

    Call ``lost(now)`` on each camera error (the capture thread reports an outage once, and
    again when the reason changes) and ``observe(capture_fps, now)`` with each stats poll: it
    returns True once, when frames flow again and no error came for ``settle_s``. That is longer
    than the 2 s after which a stalled source's capture rate reads 0 (``vbg.stats.Rate``), so a
    rate still computed from frames before the failure can't count as the camera being back.
    """

    def __init__(self, settle_s: float = 2.5) -> None:
        self.settle_s = settle_s
        self.last_error: float | None = None

    @property
    def is_lost(self) -> bool:
        return self.last_error is not None

    def lost(self, now: float) -> None:
        self.last_error = now

    def observe(self, capture_fps: float, now: float) -> bool:
        if self.last_error is None or capture_fps <= 0 or now - self.last_error < self.settle_s:
            return False
        self.last_error = None
        return True

    def reset(self) -> None:
        self.last_error = None
