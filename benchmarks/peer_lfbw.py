"""CPU cost per frame of a Linux-Fake-Background-Webcam-style pipeline, for comparison with vbg.

This is a benchmark of a *peer* (github.com/fangfufu/Linux-Fake-Background-Webcam, "LFBW"), not
part of vbg. It needs MediaPipe's legacy *solutions* API, so it runs in its own virtual
environment (see benchmarks/README.md), never in vbg's:

    /work/venvs/mp/bin/python benchmarks/peer_lfbw.py --source CLIP --size 1280x720 --frames 300

Per frame it does what LFBW's ``fake.py`` does in blur mode (``--no-background``) with its
default options, written from a reading of that code:

* read a frame (OpenCV) and scale it to the requested size (``cv2.resize``, bilinear); with
  ``--camera-like`` instead decode a JPEG per frame with ``cv2.imdecode``, which is what
  OpenCV's V4L2 backend does for LFBW's camera (LFBW asks it for MJPG: ``--codec`` defaults to
  MJPG); the first 120 frames, scaled, are held as JPEG at quality 85 as in ``vbg bench
  --camera-like``;
* ``SelfieSegmentation(model_selection=1).process(frame).segmentation_mask`` (landscape model;
  LFBW hands the BGR frame over as it is, so no colour conversion here either);
* threshold 75 %: ``mask = (mask > 0.75) * mask``;
* post-processing (on by default): ``cv2.dilate`` 5x5, then ``cv2.blur`` 10x10;
* mask running average 50 %: ``mask = 0.5 * mask + 0.5 * old_mask``;
* background: ``cv2.GaussianBlur(frame, (21, 21), sigma=21/3)``;
* blend per channel in numpy: ``frame[:, :, c] = frame[:, :, c] * mask + bg[:, :, c] * (1 - mask)``;
* output: ``cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)`` (LFBW's ``put_frame``) and one copy into a
  preallocated buffer standing in for the device write (there is no v4l2loopback here).

``--blend`` picks the blending arithmetic: ``f32`` (default: the mask stays float32, the
cheapest honest numpy version), ``f64`` (exactly ``fake.py``: its ``mask.astype(float)`` before
``cv2.blur`` makes the mask and the blend float64) or ``blendlinear`` (newer ``lfbw.py``:
``cv2.threshold``/``cv2.accumulateWeighted``/``cv2.blendLinear`` on float32, in place).

CPU time is ``time.process_time()`` over the measured frames: it counts every thread of the
process, including MediaPipe's own graph threads and OpenCV's thread pool. Prints one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, not {text!r}") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, not {text!r}")
    return w, h


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", required=True, help="video file to read (looped)")
    p.add_argument("--size", type=parse_size, default=(1280, 720), metavar="WxH")
    p.add_argument("--frames", type=int, default=300, help="measured frames [300]")
    p.add_argument("--warmup", type=int, default=10, help="frames before measuring [10]")
    p.add_argument("--blend", choices=("f32", "f64", "blendlinear"), default="f32")
    p.add_argument("--blur", type=int, default=21, help="Gaussian kernel size, LFBW default 21")
    p.add_argument("--threshold", type=int, default=75, help="percent, LFBW default 75")
    p.add_argument("--mask-update-speed", type=int, default=50, help="percent, LFBW default 50")
    p.add_argument("--no-postprocess", action="store_true")
    p.add_argument("--camera-like", action="store_true",
                   help="replay the clip as in-memory MJPG, decoded per frame by OpenCV")
    a = p.parse_args(argv)
    if a.frames <= 0 or a.warmup < 0:
        p.error("--frames must be positive and --warmup not negative")

    import cv2
    import mediapipe as mp
    import numpy as np

    w, h = a.size
    ksize = a.blur if a.blur % 2 else a.blur + 1  # LFBW's getNextOddNumber
    sigma = ksize / 3.0  # LFBW's --background-blur-sigma-frac default 3
    threshold = min(max(a.threshold, 0), 100) / 100.0
    mrar = min(max(a.mask_update_speed, 0), 100) / 100.0
    dilate_kernel = np.ones((5, 5), np.uint8)

    def open_capture() -> cv2.VideoCapture:
        cap = cv2.VideoCapture(a.source)
        if not cap.isOpened():
            sys.exit(f"cannot open {a.source}")
        return cap

    cap = open_capture()

    jpegs: list[np.ndarray] = []
    if a.camera_like:  # as vbg.capture.replay.MjpegReplaySource: 120 frames, quality 85
        while len(jpegs) < 120:
            ok, frame = cap.read()
            if not ok:
                break
            frame = cv2.resize(frame, (w, h))
            jpegs.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])[1])
        if not jpegs:
            sys.exit(f"cannot read {a.source}")
    next_jpeg = 0

    def read() -> np.ndarray:
        nonlocal cap, next_jpeg
        if jpegs:
            data, next_jpeg = jpegs[next_jpeg], (next_jpeg + 1) % len(jpegs)
            return cv2.imdecode(data, cv2.IMREAD_COLOR)
        ok, frame = cap.read()
        if not ok:  # loop the clip, as vbg's VideoSource does
            cap.release()
            cap = open_capture()
            ok, frame = cap.read()
            if not ok:
                sys.exit(f"cannot read {a.source}")
        if frame.shape[1] != w or frame.shape[0] != h:
            frame = cv2.resize(frame, (w, h))  # LFBW: cv2.resize(frame, (width, height))
        return frame

    classifier = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=1)
    old_mask = None
    out_buf = np.empty((h, w, 3), np.uint8)  # stands in for the v4l2loopback write
    stages: dict[str, list[float]] = {k: [] for k in
                                      ("read", "segment", "mask_post", "bg_blur", "blend",
                                       "output", "total")}

    def one_frame(record: bool) -> None:
        nonlocal old_mask
        t0 = time.perf_counter()
        frame = read()
        t1 = time.perf_counter()
        mask = classifier.process(frame).segmentation_mask  # float32 HxW, full size
        t2 = time.perf_counter()
        if a.blend == "blendlinear":  # newer lfbw.py: OpenCV ops in place on float32
            mask = mask.copy()
            if threshold < 1:
                cv2.threshold(mask, threshold, 1, cv2.THRESH_BINARY, dst=mask)
            if not a.no_postprocess:
                cv2.dilate(mask, dilate_kernel, iterations=1, dst=mask)
                cv2.blur(mask, (10, 10), dst=mask)
            if mrar < 1:
                if old_mask is None:
                    old_mask = mask
                mask = cv2.accumulateWeighted(mask, old_mask, mrar)
        else:  # fake.py
            if threshold < 1:
                mask = (mask > threshold) * mask
            if not a.no_postprocess:
                mask = cv2.dilate(mask, dilate_kernel, iterations=1)
                mask = cv2.blur(mask.astype(np.float64) if a.blend == "f64" else mask, (10, 10))
            if mrar < 1:
                if old_mask is None:
                    old_mask = mask
                mask = mask * mrar + old_mask * (1.0 - mrar)
                old_mask = mask
        t3 = time.perf_counter()
        bg = cv2.GaussianBlur(frame, (ksize, ksize), sigma, borderType=cv2.BORDER_DEFAULT)
        t4 = time.perf_counter()
        if a.blend == "blendlinear":
            cv2.blendLinear(frame, bg, mask, 1 - mask, dst=frame)
        else:
            for c in range(frame.shape[2]):
                frame[:, :, c] = frame[:, :, c] * mask + bg[:, :, c] * (1 - mask)
        t5 = time.perf_counter()
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)  # LFBW's put_frame
        np.copyto(out_buf, rgb)
        t6 = time.perf_counter()
        if record:
            for k, v in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5,
                                     t6 - t0), strict=True):
                stages[k].append(v * 1e3)

    try:
        for _ in range(a.warmup):
            one_frame(False)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for _ in range(a.frames):
            one_frame(True)
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None
    finally:
        classifier.close()
        cap.release()

    report = {
        "pipeline": "lfbw-style (mediapipe solutions, landscape model)",
        "size": f"{w}x{h}",
        "frames": a.frames,
        "cpu_ms_per_frame": cpu / a.frames * 1e3,
        "wall_ms_per_frame": wall / a.frames * 1e3,
        "frames_per_cpu_second": a.frames / cpu if cpu > 0 else 0.0,
        "stages_ms_median": {k: statistics.median(v) for k, v in stages.items()},
        "settings": {"source": a.source, "camera_like": a.camera_like, "blend": a.blend,
                     "blur_ksize": ksize, "sigma": sigma, "threshold": threshold,
                     "postprocess": not a.no_postprocess, "mask_update_speed": mrar,
                     "warmup": a.warmup},
        "process_threads": threads,
        "versions": {"python": platform.python_version(), "mediapipe": mp.__version__,
                     "opencv": cv2.__version__, "numpy": np.__version__,
                     "opencv_threads": cv2.getNumThreads()},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
