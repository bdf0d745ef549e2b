"""Auto-framing in the live pipeline: a real clip of a person sitting off the middle, the real
model, the in-process virtual camera. Framed, she sits near the middle of what the camera app
receives; turned on and off with ``apply`` without reopening the virtual camera. The mask view
(``LivePipeline.latest_mask``) shows the whole camera frame's mask with the crop drawn on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from tests.conftest import require_shared
from tests.pipeline.composites import GREEN, record_composites, switch_while_running
from tests.waiting import WAIT_S, until
from vbg.app.session_pipeline import LivePipeline
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig
from vbg.framing.measure import box_of
from vbg.framing.operator import Crop
from vbg.pipeline import Pipeline
from vbg.pipeline.process_stage import RING, Composite


def config(framing: str) -> AppConfig:
    clip = require_shared("video", "outdoor_seated.mp4")
    return AppConfig(
        capture=CaptureConfig(source=str(clip), width=640, height=360, fps=30),
        background=BackgroundConfig.parse("color:#00FF00"),
        output=OutputConfig(vcam=True, vcam_backend="vbg-recording", fps=30, framing=framing),
    )


def centre_offsets(frames: list[np.ndarray]) -> np.ndarray:
    """How far the person (whatever is not the green background) sits from the middle."""
    boxes = [box_of(~np.all(f == GREEN, axis=2)) for f in frames]
    return np.array([abs(b.cx - 0.5) for b in boxes if b is not None])


def record(recording_backend, framing: str, frames: int = 45) -> list[np.ndarray]:
    return record_composites(recording_backend, config(framing), frames)


def test_framed_she_sits_near_the_middle_of_what_apps_receive(recording_backend):
    off = centre_offsets(record(recording_backend, "off"))
    auto = centre_offsets(record(recording_backend, "auto"))
    assert len(off) > 10 and len(auto) > 10
    assert np.median(off) > 0.055
    assert np.median(auto) <= 0.05 and np.median(auto) < np.median(off)


def test_framing_is_switched_while_running_without_reopening_the_camera(recording_backend):
    cfg = config("off")
    recorded = switch_while_running(recording_backend, cfg,
                                    replace(cfg, output=replace(cfg.output, framing="auto")),
                                    "framing+composite", before=20, after=30)
    frames = [f for f in recorded if not np.all(f == GREEN)]
    before, after = centre_offsets(frames[:15]), centre_offsets(frames[-10:])
    assert np.median(after) < np.median(before)


@dataclass
class MaskSeen:
    """Copies of one composite's arrays and of the mask view's picture drawn from it."""

    crop: Crop | None
    alpha: np.ndarray
    camera_alpha: np.ndarray | None
    key: int
    seq: int
    picture: np.ndarray
    is_the_alpha: bool  # the feed handed out the composite's own alpha array


def mask_view(pipe: Pipeline, live: LivePipeline, want: Callable[[Composite], bool]
              ) -> MaskSeen:
    """Wait for a composite that ``want``s and the mask view's picture of that very composite,
    copied before the ring could hand its buffers out again."""
    def seen() -> MaskSeen | None:
        made = pipe.processed_count
        comp = pipe.latest_composite()
        if comp is None or comp.alpha is None or not want(comp):
            return None
        key, picture = live.latest_mask()
        if picture is None or key != comp.seq:
            return None
        got = MaskSeen(comp.crop, comp.alpha.copy(),
                       None if comp.camera_alpha is None else comp.camera_alpha.copy(),
                       key, comp.seq, picture.copy(), picture is comp.alpha)
        return got if pipe.processed_count - made < RING - 1 else None  # else: copied torn
    return until(seen, "a composite and its mask view", timeout=3 * WAIT_S)


def run_live(cfg: AppConfig) -> tuple[Pipeline, LivePipeline, list[Exception]]:
    errors: list[Exception] = []
    pipe, live = Pipeline(cfg, on_error=errors.append), LivePipeline()
    pipe.start()
    live.adopt(pipe)
    return pipe, live, errors


def test_the_mask_view_shows_the_camera_frames_mask_with_the_crop_on_it(recording_backend):
    pipe, live, errors = run_live(config("auto"))
    try:
        seen = mask_view(pipe, live, lambda c: c.crop is not None and not c.crop.is_full)
        again = live.latest_mask()
    finally:
        live.release()
    assert not errors
    h, w = seen.alpha.shape
    assert seen.crop is not None and seen.camera_alpha is not None
    assert seen.camera_alpha.shape == (h // 2, w // 2) and seen.camera_alpha.dtype == np.uint8
    # The camera's alpha, not the framed one: cropped and scaled like the framer does, it is
    # the framed alpha; as it is, it is not (the person sits elsewhere in it).
    x0, y0, cw, ch = seen.crop.pixels(w // 2, h // 2)
    k = np.array([[w / cw, 0, -w / cw * x0], [0, h / ch, -h / ch * y0]])
    framed = cv2.warpAffine(seen.camera_alpha, k, (w, h), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    as_framed = np.abs(framed.astype(int) - seen.alpha).mean()
    as_is = np.abs(cv2.resize(seen.camera_alpha, (w, h)).astype(int) - seen.alpha).mean()
    assert as_framed < 6 and as_is > 2 * as_framed, (as_framed, as_is)

    # The picture: the output's size, grey but for the crop's outline, which is where the
    # composite's crop is.
    pic = seen.picture
    assert not seen.is_the_alpha and pic.shape == (h, w, 3) and seen.key == seen.seq
    coloured = (pic[..., 0] != pic[..., 1]) | (pic[..., 1] != pic[..., 2])
    assert coloured.any()
    x0, y0, cw, ch = seen.crop.pixels(w, h)
    x1, y1 = x0 + cw, y0 + ch
    yy, xx = np.mgrid[0:h, 0:w] + 0.5  # the pixels' centres
    inside = (xx >= x0) & (xx < x1) & (yy >= y0) & (yy < y1)
    from_edge = np.minimum.reduce([xx - x0, x1 - xx, yy - y0, y1 - yy])
    border = inside & (from_edge < 1)  # the crop's outermost pixels: all outlined
    assert coloured[border].all()
    assert not coloured[~inside].any()  # nothing drawn outside the crop
    assert not coloured[inside & (from_edge >= 8)].any()  # nor inside, past a thin line
    # A clearly visible colour: far from any grey.
    b, g, r = (pic[coloured].astype(int).T)
    assert (np.abs(b - r) > 100).all() or (np.abs(g - r) > 100).all()
    # The grey is the camera's alpha scaled up.
    grey = ~coloured
    scaled = cv2.resize(seen.camera_alpha, (w, h), interpolation=cv2.INTER_LINEAR)
    assert np.abs(pic[..., 0][grey].astype(int) - scaled[grey]).max() <= 1
    assert (seen.camera_alpha > 200).mean() > 0.05  # a person in it, not an empty mask
    # The key changes when the picture does, not otherwise.
    assert again[0] != seen.key or np.array_equal(again[1], pic)


def test_without_framing_the_mask_view_is_the_composites_alpha(recording_backend):
    pipe, live, errors = run_live(config("off"))
    try:
        seen = mask_view(pipe, live, lambda c: True)
    finally:
        live.release()
    assert not errors
    assert seen.crop is None and seen.camera_alpha is None
    assert seen.is_the_alpha and seen.picture.ndim == 2
    assert np.array_equal(seen.picture, seen.alpha)
