"""``vbg bench``: per-stage time, CPU per frame, capacity, latency and memory.

The capacity run is the full per-frame work (decode/read, mask, composite, virtual-camera send
through pyvirtualcam's recording backend) in one thread, unpaced, so CPU time per frame is exact.
Latency (capture -> handed to the sink) is measured on the real threaded pipeline, paced at
30 fps, because it depends on the hand-offs between threads.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from collections import deque
from dataclasses import replace
from functools import partial

import cv2
import numpy as np

from vbg.capture import Source, open_source
from vbg.capture.replay import MjpegReplaySource
from vbg.cli.options import background_from_args, matting_from_args
from vbg.compositor import Compositor
from vbg.config import AppConfig, CaptureConfig, OutputConfig
from vbg.errors import SourceEnded, UserError
from vbg.framing.framer import FIXED, Framer
from vbg.light.live import Lighting
from vbg.matting.engine import MaskEngine
from vbg.matting.foreground import FastForeground
from vbg.matting.registry import load_model
from vbg.pipeline.capture_stage import mirror
from vbg.sinks.recording_backend import RecordingBackend, register_recording_backend
from vbg.sinks.virtualcam import VirtualCameraSink

DEFAULT_SIZES = ((1280, 720), (1920, 1080))
SAMPLES = 3000  # stage-time samples kept per stage (the most recent ones)
WARM_S = 1.0  # the paced run's warm-up before its CPU is counted (model load, first frames)


def _lean_recording_backend() -> None:
    """Register the in-process virtual camera and make it keep one frame: the benchmark wants
    the cost of a send, not the memory of a test recorder's ring of frames."""
    register_recording_backend()
    RecordingBackend.max_frames = 1


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's name and its widest x86 vector extension, e.g. "AMD EPYC (AVX2, no AVX-512)":
    the same code costs quite differently on different CPUs (docs/benchmarks.md, fifth round),
    so a benchmark says which one it ran on. Falls back to ``platform.processor()``."""
    name, flags = "", set[str]()
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and not name:
                    name = value.strip()
                elif key == "flags" and not flags:
                    flags = set(value.split())
                if name and flags:
                    break
    except OSError:
        pass
    name = name or platform.processor() or platform.machine() or "unknown CPU"
    if "avx512f" in flags:
        return f"{name} (AVX-512)"
    if "avx2" in flags:
        return f"{name} (AVX2, no AVX-512)"
    return name


def rss_mb() -> float:
    """Current resident memory in MB (Linux /proc; elsewhere the peak as an upper bound)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def _pct(v, q: float) -> float:  # type: ignore[no-untyped-def]
    return float(np.percentile(list(v), q)) if v else 0.0


def _mjpg_replay(capture: CaptureConfig, paced: bool) -> Source:
    """``capture``'s source replayed as in-memory MJPG, decoded per read as a webcam's frames
    are (``MjpegReplaySource``); ``paced``: at ``capture.fps``, as a camera delivers them."""
    inner = open_source(replace(capture, realtime=False))
    return MjpegReplaySource(inner, fps=capture.fps if paced else None)


def capacity_run(cfg: AppConfig, frames: int, seconds: float | None = None,
                 on_sample=None, reuse_still: bool = True,
                 camera_like: bool = False) -> dict:  # type: ignore[no-untyped-def]
    """Run the per-frame work ``frames`` times (or for ``seconds``) and summarise it.

    ``camera_like``: the source's frames are replayed as in-memory JPEGs and decoded per frame
    (``MjpegReplaySource``), so "read" costs what an MJPG webcam's decode costs."""
    w, h = cfg.capture.width, cfg.capture.height

    def open_bench_source() -> Source:
        if camera_like:
            return _mjpg_replay(cfg.capture, paced=False)
        return open_source(replace(cfg.capture, realtime=False))

    source = open_bench_source()
    source_label = source.info.label
    model = load_model(cfg.matting.model, cfg.matting.threads, cfg.matting.provider)
    engine = MaskEngine(model, cfg.matting, reuse_still=reuse_still)
    compositor = Compositor(cfg.background, foreground=FastForeground())
    framer = Framer() if cfg.output.framing == "auto" else None
    lighting = Lighting(cfg.output.light_match) if cfg.output.light == "auto" else None
    _lean_recording_backend()
    sink = VirtualCameraSink(w, h, cfg.output.fps, backend="vbg-recording")
    # Bounded: a soak runs for tens of thousands of frames and must measure the pipeline's
    # memory, not the growth of its own sample lists.
    stages: dict[str, deque[float]] = {k: deque(maxlen=SAMPLES) for k in
                                       ("read", "prep", "infer", "smooth", "refine",
                                        "framing+composite" if framer else "composite", "send",
                                        "total", *(("light",) if lighting else ()))}
    # CPU time of every thread of the process (OpenCV's pool included) per outer stage, summed.
    # Framing and compositing are one step (Framer.compose blends inside the crop): timed as one.
    cpu_sums = dict.fromkeys(("read", "mask", "framing+composite" if framer else "composite",
                              "send"), 0.0)
    warm = 10
    n = reused = 0
    cpu0 = wall0 = 0.0
    t_end = time.monotonic() + seconds if seconds else None
    try:
        while True:
            if n == warm:  # measure after warm-up (first inference allocates)
                cpu0, wall0 = time.process_time(), time.perf_counter()
            if t_end is None and n >= frames + warm:
                break
            if t_end is not None and time.monotonic() >= t_end:
                break
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                image = source.read()
            except SourceEnded:
                source.close()
                source = open_bench_source()
                continue
            if cfg.output.mirror:  # as the pipeline's capture thread does, in place
                image = mirror(image)
            c1, t1 = time.process_time(), time.perf_counter()
            alpha = engine.process(image)
            c2, t2 = time.process_time(), time.perf_counter()
            person_lut = None
            if lighting is not None:  # as the process thread does; its CPU counts as composite
                kind = cfg.background.kind
                scene = (lighting.scene(cfg.background.spec, compositor.backdrop.sample,
                                        moving=kind == "video")
                         if kind in ("image", "video") else None)
                image, person_lut = lighting.prepare(
                    image, alpha, n / cfg.capture.fps, blended=kind != "none",
                    frame_half=engine.frame_half, alpha_half=engine.alpha_half, scene=scene)
                if n >= warm:
                    stages["light"].append((time.perf_counter() - t2) * 1e3)
            if framer is not None:  # as the pipeline's process thread does
                out = framer.compose(compositor, image, alpha, n / cfg.capture.fps,
                                     frame_half=engine.frame_half,
                                     alpha_half=engine.alpha_half,
                                     fixed_background=cfg.background.kind in FIXED,
                                     person_lut=person_lut).image
            else:
                out = compositor.compose(image, alpha, frame_half=engine.frame_half,
                                         alpha_half=engine.alpha_half, person_lut=person_lut)
            c3, t3 = time.process_time(), time.perf_counter()
            sink.send(out)
            c4, t4 = time.process_time(), time.perf_counter()
            if n >= warm:
                reused += engine.last_reused
                spans = (c1 - c0, c2 - c1, c3 - c2, c4 - c3)
                for k, v in zip(cpu_sums, spans, strict=True):
                    cpu_sums[k] += v
                stages["read"].append((t1 - t0) * 1e3)
                for k, v in engine.timings.items():
                    stages[k].append(v)
                stages["framing+composite" if framer else "composite"].append((t3 - t2) * 1e3)
                stages["send"].append((t4 - t3) * 1e3)
                stages["total"].append((t4 - t0) * 1e3)
            n += 1
            if on_sample is not None:
                on_sample(n)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
    finally:
        source.close()
        sink.close()
        compositor.close()
    measured = max(1, n - warm)
    return {
        "size": f"{w}x{h}",
        "frames": measured,
        "stages_ms": {k: {"median": _pct(v, 50), "p90": _pct(v, 90)} for k, v in stages.items()},
        "cpu_ms_per_frame": cpu / measured * 1e3,
        "stage_cpu_ms": {k: v / measured * 1e3 for k, v in cpu_sums.items()},
        "mask_reused_share": reused / measured,
        "fps_capacity": measured / wall if wall > 0 else 0.0,
        "frames_per_cpu_second": measured / cpu if cpu > 0 else 0.0,
        "provider": model.provider,
        "source": source_label,
    }


def latency_run(cfg: AppConfig, seconds: float, camera_like: bool = False) -> dict:
    """The real threaded pipeline, paced at cfg fps, as in a call: median/p90 capture->sink
    latency, and the CPU it costs (all threads) after a warm-up of ``WARM_S``: per processed
    frame and as a share of one core. This is what a call pays; the capacity run's CPU per
    frame leaves out what pacing costs (threads that sleep between frames wake to cold
    caches: 1-3 ms more per frame measured on a 2-core VM, docs/benchmarks.md).
    ``camera_like``: the source replayed as MJPG and decoded per frame, paced at cfg fps."""
    from vbg.pipeline import Pipeline

    _lean_recording_backend()
    cfg = replace(cfg, capture=replace(cfg.capture, realtime=True),
                  output=replace(cfg.output, vcam=True, vcam_backend="vbg-recording"))
    pipe = Pipeline(cfg, source_opener=partial(_mjpg_replay, paced=True) if camera_like else None)
    pipe.start()
    try:
        time.sleep(WARM_S)  # model load, first inference, buffers
        n0, c0, t0 = pipe.processed_count, time.process_time(), time.monotonic()
        time.sleep(seconds)
        n1, c1, t1 = pipe.processed_count, time.process_time(), time.monotonic()
        lat = pipe.stage_samples("latency")
        st = pipe.stats()
    finally:
        pipe.stop()
    frames = n1 - n0
    return {"latency_ms": {"median": _pct(lat, 50), "p90": _pct(lat, 90)},
            "output_fps": st.output_fps, "frame_interval_ms": 1e3 / cfg.output.fps,
            "paced": {"source": st.source, "seconds": t1 - t0, "frames_processed": frames,
                      "cpu_ms_per_frame": (c1 - c0) / frames * 1e3 if frames else None,
                      "core_share": (c1 - c0) / (t1 - t0) if t1 > t0 else 0.0}}


def bench_config(a: argparse.Namespace, w: int, h: int) -> AppConfig:
    """The options (vbg.cli.options.add_engine_options) as a config: a file or the demo,
    unpaced, no virtual camera."""
    try:
        return AppConfig(
            capture=CaptureConfig(source=a.source, width=w, height=h, fps=30.0, realtime=False),
            matting=matting_from_args(a),
            background=background_from_args(a),
            output=OutputConfig(vcam=False, fps=30.0, framing=a.framing, light=a.light,
                                light_match=a.light_match),
        )
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def cmd_bench(a: argparse.Namespace) -> int:
    if a.cv_threads is not None:
        if a.cv_threads < 0:
            raise UserError(f"--cv-threads {a.cv_threads} is negative; use 0 or more.")
        cv2.setNumThreads(a.cv_threads)
    if a.preview:
        return preview_bench(a)
    sizes = [a.size] if a.size else list(DEFAULT_SIZES)
    report: dict = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu": cpu_model(), "cpus": __import__("os").cpu_count()},
        "settings": {"source": a.source, "model": a.model, "threads": a.threads,
                     "provider": a.provider,
                     "background": a.background, "smoothing": not a.no_smoothing,
                     "refine": not a.no_refine, "focus": not a.no_focus,
                     "mirror_pass": a.mirror_pass, "cv_threads": cv2.getNumThreads(),
                     "reuse_still": not a.no_reuse, "camera_like": a.camera_like,
                     "framing": a.framing, "light": a.light,
                     "light_match": a.light_match},
        "runs": [],
    }
    for w, h in sizes:
        cfg = bench_config(a, w, h)
        if a.soak:
            samples: list[tuple[float, float]] = []
            t0 = time.monotonic()

            def sample(n: int, t0: float = t0, samples: list = samples) -> None:
                if n % 30 == 0:
                    samples.append((time.monotonic() - t0, rss_mb()))

            run = capacity_run(cfg, a.frames, seconds=a.soak, on_sample=sample,
                               reuse_still=not a.no_reuse, camera_like=a.camera_like)
            settled = [m for t, m in samples if t >= min(30.0, a.soak * 0.1)]
            run["soak"] = {"seconds": a.soak, "rss_start_mb": settled[0] if settled else 0.0,
                           "rss_end_mb": settled[-1] if settled else 0.0,
                           "growth_mb": (settled[-1] - settled[0]) if settled else 0.0}
        else:
            run = capacity_run(cfg, a.frames, reuse_still=not a.no_reuse,
                               camera_like=a.camera_like)
        if a.latency_seconds > 0:
            run.update(latency_run(cfg, a.latency_seconds, camera_like=a.camera_like))
        run["rss_mb"] = rss_mb()
        report["runs"].append(run)
    report["peak_rss_mb"] = peak_rss_mb()
    if a.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_table(report))
    return 0


def preview_bench(a: argparse.Namespace) -> int:
    """Pipeline throughput with the preview window open vs closed (alternating runs, so load
    from elsewhere hits both alike). The capture is unpaced: processed fps is the capacity."""
    try:
        from vbg.ui.bench_preview import run_preview_bench
    except ImportError as exc:
        raise UserError(f"--preview needs PySide6 ({exc}); install vbg[ui].") from exc
    w, h = a.size or DEFAULT_SIZES[0]
    cfg = bench_config(a, w, h)
    cfg = replace(cfg, output=replace(cfg.output, vcam=True, vcam_backend="vbg-recording"))
    _lean_recording_backend()
    seconds = max(3.0, a.latency_seconds)
    runs = [run_preview_bench(cfg, seconds, preview=p) for p in (False, True, False, True)]
    headless = [r["process_fps"] for r in runs if not r["preview"]]
    shown = [r["process_fps"] for r in runs if r["preview"]]
    result = {"size": f"{w}x{h}", "seconds_per_run": seconds, "runs": runs,
              "headless_fps": float(np.mean(headless)), "preview_fps": float(np.mean(shown))}
    result["preview_cost_percent"] = 100 * (1 - result["preview_fps"] / result["headless_fps"])
    if a.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{w}x{h}: headless {result['headless_fps']:.1f} fps processed, with preview "
              f"{result['preview_fps']:.1f} fps ({result['preview_cost_percent']:+.1f} % cost)")
    return 0


def format_table(report: dict) -> str:
    lines = [f"vbg bench - {report['machine']['platform']}, {report['machine']['cpu']}, "
             f"{report['machine']['cpus']} CPUs, "
             f"settings {report['settings']}"]
    for r in report["runs"]:
        lines.append(f"\n{r['size']} ({r['frames']} frames of {r['source']}, "
                     f"provider {r['provider']})")
        lines.append(f"  {'stage':10s} {'median ms':>10s} {'p90 ms':>8s}")
        for k, v in r["stages_ms"].items():
            lines.append(f"  {k:10s} {v['median']:10.2f} {v['p90']:8.2f}")
        lines.append(f"  CPU per frame      {r['cpu_ms_per_frame']:.1f} ms ("
                     + ", ".join(f"{k} {v:.1f}" for k, v in r["stage_cpu_ms"].items()) + ")")
        lines.append(f"  mask reused        {100 * r['mask_reused_share']:.0f} % of frames "
                     "(person's region still)")
        lines.append(f"  capacity           {r['fps_capacity']:.1f} fps "
                     f"({r['frames_per_cpu_second']:.1f} frames per CPU-second)")
        if "latency_ms" in r:
            lines.append(f"  latency (30 fps)   {r['latency_ms']['median']:.1f} ms median, "
                         f"{r['latency_ms']['p90']:.1f} ms p90 "
                         f"(frame interval {r['frame_interval_ms']:.1f} ms)")
            p = r["paced"]
            per_frame = (f"{p['cpu_ms_per_frame']:.1f} ms CPU per frame"
                         if p["cpu_ms_per_frame"] is not None else "no frame processed")
            lines.append(f"  in a call (30 fps) {per_frame}, {100 * p['core_share']:.0f} % of "
                         f"a core ({p['frames_processed']} frames, threaded pipeline)")
        lines.append(f"  RSS                {r['rss_mb']:.0f} MB")
        if "soak" in r:
            s = r["soak"]
            lines.append(f"  soak {s['seconds']:.0f} s: {s['rss_start_mb']:.0f} -> "
                         f"{s['rss_end_mb']:.0f} MB (growth {s['growth_mb']:+.1f} MB)")
    lines.append(f"\npeak RSS {report['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)
