"""The mask view's feed (``LivePipeline.latest_mask``) on made-up composites: the alpha as it
is without a crop, the camera's alpha with the crop drawn on it while framing crops, one kept
buffer redrawn only when the composite changes. The real pipeline's composites:
tests/pipeline/test_framing_pipeline.py."""

from __future__ import annotations

import math

import numpy as np

from vbg.app.session_pipeline import LivePipeline
from vbg.framing.operator import FULL, Crop
from vbg.pipeline.process_stage import Composite
from vbg.stats import Stats

H, W = 360, 640


class FakePipeline:
    """What ``latest_mask`` reads of a Pipeline (and what ``adopt``/``release`` call)."""

    def __init__(self) -> None:
        self.composite: Composite | None = None

    def latest_composite(self) -> Composite | None:
        return self.composite

    def set_paused(self, paused: bool) -> None: ...
    def set_local_viewer(self, visible: bool) -> None: ...
    def stop(self) -> None: ...
    def stats(self) -> Stats:
        return Stats()


def composite(seq: int, crop: Crop | None, camera_value: int = 100) -> Composite:
    alpha = np.full((H, W), 200, np.uint8)
    camera = np.full((H // 2, W // 2), camera_value, np.uint8)
    return Composite(np.zeros((H, W, 3), np.uint8), alpha, seq, 0.0, crop,
                     None if crop is None or crop.is_full else camera)


def live_with(comp: Composite | None) -> tuple[LivePipeline, FakePipeline]:
    live, fake = LivePipeline(), FakePipeline()
    fake.composite = comp
    live.adopt(fake)  # type: ignore[arg-type]
    return live, fake


def coloured(pic: np.ndarray) -> np.ndarray:
    return (pic[..., 0] != pic[..., 1]) | (pic[..., 1] != pic[..., 2])


def test_without_a_crop_or_with_the_full_view_it_is_the_composites_alpha() -> None:
    for crop in (None, FULL):
        comp = composite(7, crop)
        live, _ = live_with(comp)
        key, pic = live.latest_mask()
        assert key == 7 and pic is comp.alpha
    assert live_with(None)[0].latest_mask() == (0, None)


def test_a_crop_touching_the_frames_corner_shows_all_four_sides() -> None:
    crop = Crop(cx=0.7, cy=0.7, size=0.6)  # right and bottom edges on the frame's border
    live, _ = live_with(composite(3, crop))
    key, pic = live.latest_mask()
    assert key == 3 and pic is not None and pic.shape == (H, W, 3)
    x0, y0, cw, ch = crop.pixels(W, H)
    left, top = math.ceil(x0 - 0.5), math.ceil(y0 - 0.5)  # the first pixels centred inside
    c = coloured(pic)
    assert c[top + 5:, left].all() and c[top, left + 5:].all()  # left and top sides
    assert c[top + 5:, W - 1].all() and c[H - 1, left + 5:].all()  # right and bottom: inside
    assert not c[:top - 1].any() and not c[:, :left - 1].any()  # nothing beyond the crop
    assert not c[top + 10:H - 10, left + 10:W - 10].any()
    assert (pic[~c] == 100).all()  # the camera's alpha, grey


def test_the_picture_is_redrawn_only_when_the_composite_changes() -> None:
    live, fake = live_with(composite(5, Crop(0.5, 0.5, 0.5), camera_value=100))
    key, pic = live.latest_mask()
    assert pic is not None
    first = pic.copy()
    # The same composite read again (its buffers written meanwhile): the same picture.
    assert fake.composite is not None and fake.composite.camera_alpha is not None
    fake.composite.camera_alpha[:] = 50
    again = live.latest_mask()
    assert again[0] == key and again[1] is pic and np.array_equal(pic, first)
    fake.composite = composite(6, Crop(0.5, 0.5, 0.5), camera_value=50)
    key2, pic2 = live.latest_mask()
    assert key2 == 6 and pic2 is pic  # the one kept buffer, redrawn
    assert (pic2[~coloured(pic2)] == 50).all()


def test_a_new_run_draws_afresh_though_its_numbers_start_over() -> None:
    live, _ = live_with(composite(1, Crop(0.5, 0.5, 0.5), camera_value=100))
    assert live.latest_mask()[1] is not None
    live.release()
    fake = FakePipeline()
    fake.composite = composite(1, Crop(0.5, 0.5, 0.5), camera_value=30)
    live.adopt(fake)  # type: ignore[arg-type]
    key, pic = live.latest_mask()
    assert key == 1 and pic is not None and (pic[~coloured(pic)] == 30).all()
