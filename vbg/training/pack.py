"""A compact training pack: every clip frame labelled by the teacher, every photo that is not
held out with its ground truth, and person-free backgrounds, in one ``.npz`` small enough to
travel to a GPU machine (pictures as JPEG, masks as PNG, all stretched to ``side``×``side``).

Arrays in the pack:

- ``img``/``img_off``: concatenated JPEG bytes of the samples and their offsets (N+1);
- ``mask``/``mask_off``: the same for the alpha PNGs (255 = person, soft where the label is);
- ``clip``: clip index per sample (-1 for photos), ``frame``: frame index in its clip, so
  consecutive frames of a clip can be paired for the temporal-consistency loss;
- ``aspect``: the source's width / height (stretched to a square in the pack);
- ``teacher``: 1 where the label came from the teacher, 0 for ground truth;
- ``bg``/``bg_off``: JPEG backgrounds with no person (shipped backgrounds, and the widest
  person-free strip of some clip frames);
- ``names``: one string per sample (for the record).

The teacher is the default model through the stills path (``vbg.stills.StillCutter``: full
pass, person-focused pass, mirrored passes, guided refinement). Held-out photos (see
``vbg.training.data.heldout``) never enter a pack. No torch here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import cv2
import numpy as np

from vbg.training import data as D
from vbg.training.errors import DataError

JPEG_QUALITY = 85  # also the JPEG/MJPG artefacts the engine meets


def _jpeg(img: np.ndarray, quality: int = JPEG_QUALITY) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise DataError("A picture could not be encoded as JPEG.")
    return buf.tobytes()


def _png(mask: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", mask, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise DataError("A mask could not be encoded as PNG.")
    return buf.tobytes()


def _square(img: np.ndarray, side: int) -> np.ndarray:
    return cv2.resize(img, (side, side), interpolation=cv2.INTER_AREA)


def person_free_strip(frame: np.ndarray, alpha: np.ndarray, min_frac: float = 0.25
                      ) -> np.ndarray | None:
    """The widest full-height strip of ``frame`` left or right of the person (alpha > 8), or
    None when neither side is at least ``min_frac`` of the width."""
    cols = np.nonzero((alpha > 8).any(axis=0))[0]
    h, w = alpha.shape
    if not len(cols):
        return frame
    left, right = frame[:, : cols[0]], frame[:, cols[-1] + 1:]
    best = max((left, right), key=lambda s: s.shape[1])
    return best if best.shape[1] >= min_frac * w else None


class PackWriter:
    """Collects samples and backgrounds; ``save`` writes the .npz atomically."""

    def __init__(self, side: int) -> None:
        self.side = side
        self.img: list[bytes] = []
        self.mask: list[bytes] = []
        self.bg: list[bytes] = []
        self.clip: list[int] = []
        self.frame: list[int] = []
        self.aspect: list[float] = []
        self.teacher: list[int] = []
        self.names: list[str] = []

    def add(self, img: np.ndarray, alpha: np.ndarray, name: str, clip: int = -1,
            frame: int = -1, teacher: bool = False) -> None:
        h, w = img.shape[:2]
        self.img.append(_jpeg(_square(img, self.side)))
        self.mask.append(_png(_square(alpha, self.side)))
        self.clip.append(clip)
        self.frame.append(frame)
        self.aspect.append(w / h)
        self.teacher.append(int(teacher))
        self.names.append(name)

    def add_background(self, img: np.ndarray) -> None:
        self.bg.append(_jpeg(_square(img, self.side)))

    @staticmethod
    def _cat(chunks: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        off = np.zeros(len(chunks) + 1, np.int64)
        off[1:] = np.cumsum([len(c) for c in chunks])
        return np.frombuffer(b"".join(chunks), np.uint8), off

    def save(self, path: Path) -> None:
        if not self.img:
            raise DataError("The pack is empty; give clips or labelled photo folders.")
        img, img_off = self._cat(self.img)
        mask, mask_off = self._cat(self.mask)
        bg, bg_off = self._cat(self.bg)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, img=img, img_off=img_off, mask=mask, mask_off=mask_off, bg=bg,
                 bg_off=bg_off, clip=np.int32(self.clip), frame=np.int32(self.frame),
                 aspect=np.float32(self.aspect), teacher=np.uint8(self.teacher),
                 names=np.array(self.names), side=np.int32(self.side))
        tmp.replace(path)


def build_pack(clips: Iterable[Path], photo_folders: Iterable[Path], backgrounds: Iterable[Path],
               out: Path, side: int = 320, every: int = 1,
               label: Callable[[np.ndarray], np.ndarray] | None = None,
               strips_every: int = 40, progress: bool = True,
               photo_strips: bool = True) -> dict[str, int]:
    """Label every ``every``-th frame of ``clips`` with ``label`` (default: the teacher), add
    the photos of ``photo_folders`` that are not held out with their ground truth, the
    ``backgrounds``, a person-free strip of every ``strips_every``-th clip frame and
    (``photo_strips``) of every such photo; write ``out``. Returns counts per kind.

    Why the photos' strips: the clips show three rooms, so their strips teach little clutter;
    the photos' surroundings (streets, gardens, cafés, shop windows) are the backgrounds on
    which a small model invents people (held-out vikram190: bushes and pushchairs)."""
    from vbg.training.distill import _frames, teacher

    label = label or teacher()
    w = PackWriter(side)
    counts = {"frames": 0, "photos": 0, "held_out": 0, "backgrounds": 0}
    for ci, clip in enumerate(clips):
        frames = _frames(Path(clip), every, None)
        if progress:
            from tqdm import tqdm

            frames = tqdm(frames, desc=Path(clip).name, leave=False)
        for name, img in frames:
            alpha = label(img)
            fi = int(name.rsplit("_", 1)[1])
            w.add(img, alpha, name, clip=ci, frame=fi, teacher=True)
            counts["frames"] += 1
            if fi % strips_every == 0:
                strip = person_free_strip(img, alpha)
                if strip is not None:
                    w.add_background(strip)
                    counts["backgrounds"] += 1
    for folder in photo_folders:
        pairs = D.discover(folder)
        train, held = D.heldout(Path(folder).name, pairs)
        counts["held_out"] += len(held)
        for pair in train:
            s = D.load_pair(pair, long_side=2 * side)
            w.add(s.image, s.alpha, f"{Path(folder).name}/{s.name}")
            counts["photos"] += 1
            strip = person_free_strip(s.image, s.alpha, min_frac=0.2) if photo_strips else None
            # The ground truth marks one person; a passer-by in the strip would become a
            # "background" person, so the teacher must find nobody there.
            if strip is not None and (label(strip) > 127).mean() < 0.002:
                w.add_background(strip)
                counts["backgrounds"] += 1
    for bg in backgrounds:
        img = cv2.imread(str(bg), cv2.IMREAD_COLOR)
        if img is None:
            raise DataError(f"{bg} is not a readable background image.")
        w.add_background(img)
        counts["backgrounds"] += 1
    w.save(Path(out))
    return counts


def read_pack(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a pack, with ``images``/``masks``/``backgrounds`` decoded (uint8 BGR and
    alpha at side×side)."""
    z = np.load(path)

    def decode(buf: np.ndarray, off: np.ndarray, flags: int) -> list[np.ndarray]:
        return [cv2.imdecode(buf[off[i]:off[i + 1]], flags) for i in range(len(off) - 1)]

    out = {k: z[k] for k in ("clip", "frame", "aspect", "teacher", "names")}
    out["images"] = np.stack(decode(z["img"], z["img_off"], cv2.IMREAD_COLOR))
    out["masks"] = np.stack(decode(z["mask"], z["mask_off"], cv2.IMREAD_GRAYSCALE))
    bgs = decode(z["bg"], z["bg_off"], cv2.IMREAD_COLOR)
    out["backgrounds"] = np.stack(bgs) if bgs else np.zeros((0, *out["images"].shape[1:]),
                                                            np.uint8)
    return out
