"""Whether anyone watches, and what the pipeline does about it: pure, time passed in.

Activities (shown by the tray and status bar, and in ``Stats.activity``):

- ``idle``: nobody watches. The source is closed (webcam light off), no inference runs, and the
  virtual camera gets a cheap still picture at a low rate so it stays listed.
- ``live``: someone watches (an app reading the virtual camera, vbg's own preview window), or
  there is no way to know (no reader signal: Windows/macOS, no virtual camera), or the user
  chose "Keep the camera on".
- ``paused``: the user's privacy pause. No inference; the source stays open only where the
  paused picture needs it (background blur or none), never while nobody watches.

Apps probe every camera when they list devices (open, query, close within a moment). A reader
counts only after it stayed :data:`PROBE_S`; after the last reader leaves, the webcam is kept
for :data:`LINGER_S` because apps often close and reopen a camera to change its format.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PROBE_S = 0.3
LINGER_S = 2.0
# Background kinds whose paused picture is drawn from the camera frame (a strong blur of the
# room; for "none" a 32x18 blur). The others (colour, image, video) need no camera to pause.
CAMERA_BACKGROUNDS = frozenset({"blur", "none"})


class Activity(StrEnum):
    """What the pipeline does: ``idle``, ``live``, ``paused``; ``stopped`` when not running."""

    IDLE = "idle"
    LIVE = "live"
    PAUSED = "paused"
    STOPPED = "stopped"


class ReaderDebounce:
    """Turns a raw reader count into "watched", ignoring probes and short gaps.

    Watched starts once readers were present for ``probe_s`` without a break (or at once with
    ``update(..., initial=True)``, for readers that were there before vbg); it ends once there
    were none for ``linger_s``.
    """

    def __init__(self, probe_s: float = PROBE_S, linger_s: float = LINGER_S) -> None:
        self.probe_s, self.linger_s = probe_s, linger_s
        self._since: float | None = None   # readers present since
        self._quiet: float | None = None   # no readers since
        self.watched = False

    def update(self, now: float, readers: int, initial: bool = False) -> bool:
        """Feed the count seen at ``now``; returns whether someone watches."""
        if readers > 0:
            self._quiet = None
            if self._since is None:
                self._since = now
            if initial or now - self._since >= self.probe_s:
                self.watched = True
        else:
            self._since = None
            if self.watched:
                if self._quiet is None:
                    self._quiet = now
                if now - self._quiet >= self.linger_s:
                    self.watched = False
                    self._quiet = None
        return self.watched


@dataclass(frozen=True, slots=True)
class Demand:
    """What one output tick decided: the ``activity`` shown, whether the ``source`` is open,
    and whether ``inference`` runs."""

    activity: Activity
    source: bool
    inference: bool


def decide_demand(*, watched: bool, signal: bool, keep_on: bool, local_viewer: bool,
                  user_paused: bool, background_kind: str) -> Demand:
    """``watched``: debounced readers of the virtual camera; ``signal``: whether readers can be
    known at all; ``keep_on``: the "Keep the camera on" setting; ``local_viewer``: vbg's own
    preview is visible."""
    wanted = keep_on or not signal or local_viewer or watched
    if user_paused:
        return Demand(Activity.PAUSED, wanted and background_kind in CAMERA_BACKGROUNDS, False)
    if wanted:
        return Demand(Activity.LIVE, True, True)
    return Demand(Activity.IDLE, False, False)
