"""The preview half of ``vbg bench --preview``: run the pipeline with the app's window open.

The window is the real one (preview drawn from its QTimer, overlay, picker, status bar), on
whatever Qt platform is available ("offscreen" when there is no display). Compare the result
with a run without the window (``preview=False``: same code path, window never shown) to see
what the preview costs the pipeline; the issue's bar is within 10 %.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

from PySide6.QtCore import QEventLoop, QTimer

from vbg.app.backgrounds import user_backgrounds_dir
from vbg.app.settings import SettingsStore
from vbg.config import AppConfig
from vbg.ui.app import make_application
from vbg.ui.controller import AppController
from vbg.ui.window import MainWindow

WARMUP_S = 1.5  # model warm-up and first allocations are not part of the measurement


def run_preview_bench(config: AppConfig, seconds: float, preview: bool = True) -> dict:
    """Run the pipeline for ``seconds`` (after a short warm-up) with the preview window open
    (``preview=False``: closed) and return its rates.

    Keys: ``preview``, ``seconds``, ``output_fps`` (frames sent over the interval),
    ``process_fps``/``capture_fps`` (the pipeline's rates, sampled twice a second and averaged),
    ``process_ms`` (median per-frame processing), ``frames_drawn`` and ``draw_fps`` (frames the
    preview painted), ``cpu_percent`` (the whole process) and ``ui_thread_cpu_percent`` (the Qt
    thread: what the window costs; 100 = one core), ``platform`` (the Qt platform). Raises the
    pipeline's VbgError when it can't start. Settings on disk are neither read nor written.
    """
    if sys.platform.startswith("linux") and not (
            os.environ.get("QT_QPA_PLATFORM") or os.environ.get("DISPLAY")
            or os.environ.get("WAYLAND_DISPLAY")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = make_application()
    errors: list[str] = []
    # Compared with and without the window, the pipeline must run in both: closed, nobody
    # would watch it (no virtual camera here) and it would idle.
    config = replace(config, output=replace(config.output, keep_camera_on=True))
    controller = AppController(config, SettingsStore(None), user_backgrounds_dir(),
                               camera_lister=lambda: [])
    controller.message.connect(lambda text, level: errors.append(text))
    controller.session.set_cameras([])  # no probing: "auto" means the demo here, right away
    window = MainWindow(controller, lambda action: None)
    if preview:
        window.show()
    if not controller.start() or controller.session.pipeline is None:
        window.close()
        raise RuntimeError("; ".join(errors) or "the pipeline did not start")
    pipe = controller.session.pipeline
    # Rates are sampled twice a second over the whole run and averaged (the pipeline's own
    # rates cover only its last 60 frames).
    samples: dict[str, list[float]] = {"process": [], "capture": []}

    def sample() -> None:
        st = pipe.stats()
        samples["process"].append(st.process_fps)
        samples["capture"].append(st.capture_fps)

    sampler = QTimer()
    sampler.setInterval(500)
    sampler.timeout.connect(sample)

    def spin(duration: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(duration * 1000), loop.quit)
        loop.exec()

    try:
        spin(WARMUP_S)
        out0, drawn0 = pipe.output_count, window.preview.frames_drawn
        t0, cpu0, ui0 = time.perf_counter(), time.process_time(), time.thread_time()
        sampler.start()
        spin(seconds)
        sampler.stop()
        elapsed = time.perf_counter() - t0
        # CPU seconds hardly depend on what else the machine runs, unlike rates: the Qt
        # thread's share is what the window costs.
        cpu, ui_cpu = time.process_time() - cpu0, time.thread_time() - ui0
        out = pipe.output_count - out0
        drawn = window.preview.frames_drawn - drawn0
        process_ms = sorted(pipe.stage_samples("process"))
    finally:
        controller.shutdown()
        window.close()
        app.processEvents()

    def mean(v: list[float]) -> float:
        return sum(v) / len(v) if v else 0.0

    return {
        "preview": preview,
        "seconds": elapsed,
        "output_fps": out / elapsed,
        "process_fps": mean(samples["process"]),
        "capture_fps": mean(samples["capture"]),
        "process_ms": process_ms[len(process_ms) // 2] if process_ms else 0.0,
        "frames_drawn": drawn,
        "draw_fps": drawn / elapsed,
        "cpu_percent": 100 * cpu / elapsed,
        "ui_thread_cpu_percent": 100 * ui_cpu / elapsed,
        "platform": app.platformName(),
    }
