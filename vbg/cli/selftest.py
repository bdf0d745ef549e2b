"""``vbg --selftest``: does this installation work? Runs offscreen, from source and from the bundle.

Checks, one report line each:

- the real pipeline runs on the demo source for about 2 s into the in-process recording
  virtual camera (``vbg-recording``), and every frame comes out at the requested size; it runs
  first, so the time from process start to its first frame is the cold start;
- every bundled model loads and finds the person in the demo photo;
- the desktop app's Qt starts on the offscreen platform (skipped where PySide6 is not
  installed, i.e. a headless ``pip install vbg``);
- the state of the real virtual camera: present, or missing with why in a few words and a
  pointer to ``vbg doctor`` for the fix. A missing virtual camera is reported but does not
  fail the self-test (CI machines have none).

Exit status 0 when every required check holds, 1 otherwise. The report also gives the time
from process start to the first frame, which the packaging scripts record as the cold start.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from vbg import __version__, resources

_T_IMPORT = time.monotonic()  # fallback reference where the process start time is unknown

SIZE = (640, 360)     # small, so a slow or busy machine keeps up at 30 fps
FPS = 30.0
SECONDS = 2.0
TIMEOUT_S = 20.0      # generous: a cold bundle on a loaded 2-core machine
MIN_COVERAGE = 0.02   # the demo photo is a portrait: a working model finds a person in it
MAX_COVERAGE = 0.98

EXIT_OK, EXIT_FAILED = 0, 1


@dataclass(frozen=True)
class Check:
    """One line of the report. ``status``: "ok", "FAIL", "skip" or "info" (not a failure)."""

    name: str
    status: str
    detail: str

    @property
    def failed(self) -> bool:
        return self.status == "FAIL"

    def line(self) -> str:
        return f"[{self.status:^4s}] {self.name}: {self.detail}"


# ------------------------------------------------------------------------------ helpers


def process_age_s() -> tuple[float, str]:
    """Seconds since this process started, and what the reference is.

    Linux: from ``/proc`` (10 ms resolution), so it includes the bundle's bootloader and the
    interpreter start. Elsewhere: since this module was imported (says so in the label).
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            stat = f.read()
        # Field 22 (starttime, clock ticks since boot); the name in brackets may hold spaces.
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK"), "process start"
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _T_IMPORT, "self-test start"


def _demo_photo():  # type: ignore[no-untyped-def]
    from vbg.imaging import decode_image

    path = resources.asset("demo", "astronaut.png")
    image = decode_image(path)
    if image is None:
        raise FileNotFoundError(f"the demo picture {path} is missing or damaged")
    return image


# ------------------------------------------------------------------------------ checks


def check_models() -> list[Check]:
    """Load every built-in model and run it once on the demo photo."""
    import cv2

    from vbg.matting.registry import list_models, load_model

    try:
        builtin = [m for m in list_models() if m.builtin]
    except Exception as exc:  # a broken sidecar: ModelError; anything else is a bug to show
        return [Check("models", "FAIL", f"can't list the models ({type(exc).__name__}: {exc})")]
    if not builtin:
        return [Check("models", "FAIL", f"no bundled model in {resources.models_dir()}")]
    try:
        photo = _demo_photo()
    except FileNotFoundError as exc:
        return [Check("models", "FAIL", str(exc))]
    checks = []
    for info in builtin:
        name = f"model {info.key}"
        try:
            t0 = time.perf_counter()
            model = load_model(info.key)
            t1 = time.perf_counter()
            h, w = model.input_hw
            prob, _ = model.adapter.infer(cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA))
            t2 = time.perf_counter()
        except Exception as exc:
            checks.append(Check(name, "FAIL", f"{type(exc).__name__}: {exc}"))
            continue
        coverage = float((prob > 0.5).mean()) if prob.size else 0.0
        detail = (f"loaded in {(t1 - t0) * 1e3:.0f} ms on {model.provider}, input {w}x{h}, "
                  f"one inference {(t2 - t1) * 1e3:.1f} ms, person {coverage:.0%} of the photo")
        if not (MIN_COVERAGE <= coverage <= MAX_COVERAGE) or prob.shape[:2] != (h, w):
            checks.append(Check(name, "FAIL", detail + f" (output shape {prob.shape}: the "
                                "model does not find the person in the demo photo)"))
        else:
            checks.append(Check(name, "ok", detail))
    return checks


def check_pipeline(size: tuple[int, int] = SIZE, fps: float = FPS,
                   seconds: float = SECONDS) -> list[Check]:
    """Run the real pipeline on the demo source into the recording virtual camera."""
    import numpy as np

    from vbg.config import AppConfig, CaptureConfig, MattingConfig, OutputConfig
    from vbg.matting.registry import DEFAULT_MODEL, list_models
    from vbg.pipeline import Pipeline
    from vbg.sinks.recording_backend import (
        BACKEND_NAME,
        RecordingBackend,
        register_recording_backend,
    )

    w, h = size
    keys = [m.key for m in list_models() if m.builtin]
    model = DEFAULT_MODEL if DEFAULT_MODEL in keys or not keys else keys[0]
    register_recording_backend()
    cfg = AppConfig(
        capture=CaptureConfig(source="demo", width=w, height=h, fps=fps),
        matting=MattingConfig(model=model),
        output=OutputConfig(vcam=True, vcam_backend=BACKEND_NAME, fps=fps),
    )
    n = max(1, round(seconds * fps))
    errors: list[Exception] = []
    pipe = Pipeline(cfg, on_error=errors.append, max_frames=n)
    t0 = time.monotonic()
    try:
        pipe.start()
    except Exception as exc:
        return [Check("pipeline", "FAIL", f"could not start ({type(exc).__name__}: {exc})"),
                Check("frame size", "FAIL", "not checked: the pipeline did not start")]
    backend = RecordingBackend.last()
    first_composite: float | None = None
    age_at_first: tuple[float, str] | None = None
    alpha_sample = None
    deadline = t0 + TIMEOUT_S
    try:
        while not pipe.wait(0.005) and time.monotonic() < deadline:
            comp = pipe.latest_composite()
            if comp is not None:
                if first_composite is None:
                    first_composite = time.monotonic()
                    age_at_first = process_age_s()
                if comp.alpha is not None:
                    alpha_sample = comp.alpha.copy()
        finished = pipe.finished.is_set()
        stats = pipe.stats()
    finally:
        pipe.stop()
    elapsed = time.monotonic() - t0
    frames, times = backend.recorded()

    detail = f"{len(frames)} frames in {elapsed:.1f} s from the demo source"
    if stats.model:
        detail += f", model {stats.model} on {stats.provider}"
    if first_composite is not None and age_at_first is not None:
        detail += (f"; first frame {first_composite - t0:.2f} s after start, "
                   f"{age_at_first[0]:.2f} s after {age_at_first[1]}")
    problems = []
    if not finished:
        problems.append(f"did not finish {n} frames within {TIMEOUT_S:.0f} s")
    if first_composite is None:
        problems.append("no frame was composited (the model or compositor never delivered)")
    if errors:
        problems.append("errors: " + "; ".join(f"{type(e).__name__}: {e}" for e in errors[:3]))
    if alpha_sample is not None:
        coverage = float((alpha_sample > 127).mean())
        detail += f", person {coverage:.0%} of the frame"
        if not (MIN_COVERAGE <= coverage <= MAX_COVERAGE):
            problems.append("the mask does not find the person in the demo")
    checks = [Check("pipeline", "FAIL" if problems else "ok",
                    detail + ("" if not problems else " - " + "; ".join(problems)))]

    wrong = [f.shape for f in frames if f.shape != (h, w, 3) or f.dtype != np.uint8]
    if not frames:
        checks.append(Check("frame size", "FAIL", "no frame reached the virtual camera"))
    elif wrong:
        checks.append(Check("frame size", "FAIL",
                            f"{len(wrong)} of {len(frames)} frames are not {w}x{h} BGR "
                            f"(first: {wrong[0]})"))
    elif all(float(f.std()) < 1.0 for f in frames):
        checks.append(Check("frame size", "FAIL", f"{w}x{h}, but every frame is blank"))
    else:
        rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
        checks.append(Check("frame size", "ok",
                            f"all {len(frames)} frames {w}x{h} as requested, {rate:.1f} fps out"))
    return checks


@contextlib.contextmanager
def _without_backend(name: str) -> Iterator[None]:
    """Hide one pyvirtualcam backend (our recording one) so ``backend=None`` can't fall back to
    it and the real camera's state is what gets reported."""
    from pyvirtualcam.camera import BACKENDS

    saved = BACKENDS.pop(name, None)
    try:
        yield
    finally:
        if saved is not None:
            BACKENDS[name] = saved


def _missing(reason: str, kind: str = "") -> str:
    """One short report line for a missing virtual camera: the reason's first clause (the
    sink's full advice is several commands long) and a pointer to ``vbg doctor``, which knows
    this machine and gives the exact fix."""
    first = re.split(r"[:;.] ", reason.splitlines()[0] if reason else "", maxsplit=1)[0]
    return f"missing - {kind}{first.rstrip('.')}; `vbg doctor` gives the fix for this machine."


def check_virtual_camera(size: tuple[int, int] = SIZE, fps: float = FPS) -> Check:
    """Open the OS's default virtual camera once; missing is reported, never a failure."""
    from vbg.errors import OutputError
    from vbg.sinks.recording_backend import BACKEND_NAME
    from vbg.sinks.virtualcam import VirtualCameraSink

    with _without_backend(BACKEND_NAME):
        try:
            sink = VirtualCameraSink(size[0], size[1], fps)
        except OutputError as exc:
            return Check("virtual camera", "info", _missing(str(exc)))
        except Exception as exc:  # pyvirtualcam raising something unexpected: still report it
            return Check("virtual camera", "info", _missing(str(exc), f"{type(exc).__name__}: "))
    try:
        return Check("virtual camera", "ok", f"present: {sink.device} ({sink.backend})")
    finally:
        sink.close()


def check_desktop() -> Check:
    """The desktop app's Qt side starts on the offscreen platform and draws its icon.

    Uses the app's own ``make_application`` (theme, window icon) and ``app_icon`` (an SVG
    asset through QtSvg), so in the bundle it proves that the Qt libraries, the platform and
    SVG plugins and the icon assets were packed. Skipped when PySide6 is not installed (a
    headless ``pip install vbg``).
    """
    import importlib.util

    if importlib.util.find_spec("PySide6") is None:
        return Check("desktop app", "skip", "PySide6 is not installed (headless install)")
    saved = os.environ.get("QT_QPA_PLATFORM")
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no display needed (a QApplication that
    try:                                          # already exists keeps its platform)
        from vbg.ui.app import make_application
        from vbg.ui.icons import app_icon

        app = make_application()
        pixmap = app_icon("on").pixmap(64, 64)
        image = pixmap.toImage()
        drawn = not pixmap.isNull() and image.pixelColor(32, 32).alpha() > 0
        platform = app.platformName()
    except Exception as exc:  # ImportError (UI or Qt library missing), Qt errors
        return Check("desktop app", "FAIL",
                     f"the Qt app does not start ({type(exc).__name__}: {exc})")
    finally:
        if saved is None:
            os.environ.pop("QT_QPA_PLATFORM", None)
        else:
            os.environ["QT_QPA_PLATFORM"] = saved
    if not drawn:
        return Check("desktop app", "FAIL",
                     f"Qt starts on {platform}, but the app icon {resources.asset('icons')} "
                     "does not draw (SVG support or the icon files are missing)")
    from vbg.ui.app import pyside_version

    return Check("desktop app", "ok",
                 f"Qt (PySide6 {pyside_version()}) starts on the {platform} platform and draws "
                 "the app icon")


# ------------------------------------------------------------------------------ entry point


def run_selftest(out: TextIO | None = None) -> int:
    """Run every check, print one line each, return the exit status (0 = all required ok)."""
    out = out or sys.stdout
    where = (f"bundle {resources.root()}" if getattr(sys, "frozen", False)
             else f"source {resources.root()}")
    print(f"vbg {__version__} self-test ({where}, Python {sys.version.split()[0]}, "
          f"{sys.platform})", file=out, flush=True)
    checks: list[Check] = []

    def run(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        try:
            result = fn()
        except Exception as exc:  # a check itself crashing is a failure, not a traceback
            result = Check(name, "FAIL", f"crashed ({type(exc).__name__}: {exc})")
        for c in result if isinstance(result, list) else [result]:
            checks.append(c)
            print(c.line(), file=out, flush=True)

    # Looked up at call time (not bound at import) so tests can replace a check.
    run("pipeline", lambda: check_pipeline())  # first: its "first frame" is the cold start
    run("models", lambda: check_models())
    run("desktop app", lambda: check_desktop())
    run("virtual camera", lambda: check_virtual_camera())
    failed = [c.name for c in checks if c.failed]
    if failed:
        print(f"self-test FAILED: {', '.join(failed)}", file=out, flush=True)
        return EXIT_FAILED
    print("self-test passed", file=out, flush=True)
    return EXIT_OK
