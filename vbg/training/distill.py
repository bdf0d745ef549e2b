"""Distillation: label frames of unlabelled videos or photos with soft targets from a teacher.

The teacher is a model run through the engine's registry in its best still-image mode
(``vbg.stills.StillCutter``: full pass, person-focused pass, mirrored pass). The result is an
``images/`` + ``masks/`` folder that ``vbg.training.data`` reads like any labelled set, so any
footage becomes training data. Write it outside the repository (e.g. /work/cache/...). No torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from vbg.evaluation import IMAGE_EXTS
from vbg.training.errors import DataError

VIDEO_EXTS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def _frames(source: Path, every: int, max_frames: int | None) -> Iterator[tuple[str, np.ndarray]]:
    """(name, BGR frame) of a video (every ``every``-th frame), a photo, or a folder of both."""
    if source.is_dir():
        for p in sorted(source.iterdir()):
            if p.suffix.lower() in VIDEO_EXTS + IMAGE_EXTS:
                yield from _frames(p, every, max_frames)
        return
    if source.suffix.lower() in IMAGE_EXTS:
        img = cv2.imread(str(source), cv2.IMREAD_COLOR)
        if img is None:
            raise DataError(f"{source} is not a readable image; remove it or fix it.")
        yield source.stem, img
        return
    cap = cv2.VideoCapture(str(source))
    if not cap.isOpened():
        raise DataError(f"{source} is not a readable video or image; check the path.")
    i = n = 0
    try:
        while max_frames is None or n < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            if i % every == 0:
                yield f"{source.stem}_{i:05d}", frame
                n += 1
            i += 1
    finally:
        cap.release()
    if i == 0:
        raise DataError(f"{source} has no frames OpenCV can decode; re-encode it (H.264 mp4).")


def teacher(model: str = "selfie_general") -> Callable[[np.ndarray], np.ndarray]:
    """The default teacher: ``model`` in its best still-image mode (focused + mirrored)."""
    from vbg.stills import StillCutter

    cutter = StillCutter(model)
    return lambda bgr: cutter.cut(bgr).alpha


def distill(sources: list[Path], out: Path, every: int = 10, max_frames: int | None = None,
            long_side: int = 640, label: Callable[[np.ndarray], np.ndarray] | None = None,
            repo_root: Path | None = None) -> int:
    """Write ``out/images/<name>.jpg`` and ``out/masks/<name>.png`` (teacher's soft alpha) for
    the frames of ``sources``; frames are scaled to at most ``long_side``. Returns the count."""
    out = out.resolve()
    if repo_root is not None and out.is_relative_to(repo_root.resolve()):
        raise DataError(f"{out} is inside the repository; write distilled data outside it "
                        "(e.g. /work/cache/distilled).")
    for s in sources:
        if not s.exists():
            raise DataError(f"{s} does not exist; give a video, a photo or a folder of them.")
    label = label or teacher()
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    n = 0
    for src in sources:
        for name, frame in _frames(src, every, max_frames):
            h, w = frame.shape[:2]
            s = min(1.0, long_side / max(h, w))
            if s < 1.0:
                frame = cv2.resize(frame, (round(w * s), round(h * s)),
                                   interpolation=cv2.INTER_AREA)
            alpha = label(frame)
            cv2.imwrite(str(out / "images" / f"{name}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(str(out / "masks" / f"{name}.png"), alpha)
            n += 1
    if n == 0:
        raise DataError(f"No frames found in {', '.join(map(str, sources))}; nothing to label.")
    return n
