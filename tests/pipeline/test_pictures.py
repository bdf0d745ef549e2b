"""The pictures sent instead of a composite: background only, marked, never the room."""

from __future__ import annotations

import numpy as np

from vbg.compositor import Backdrop
from vbg.config import BackgroundConfig
from vbg.pipeline.pictures import paused_picture, still_picture


def test_the_idle_still_is_the_chosen_colour_with_a_small_mark():
    c = Backdrop(BackgroundConfig.parse("color:#102030"))
    still = still_picture(c, 640, 360, paused=False)
    c.close()
    colour = np.all(still == (0x30, 0x20, 0x10), axis=2)  # BGR
    assert still.shape == (360, 640, 3) and colour.mean() > 0.97
    assert not colour[330:350, 560:630].all()       # the "vbg" mark, bottom right
    assert colour[:180].all()                       # nothing in the top half


def test_blur_has_no_background_without_the_room_so_the_still_is_neutral():
    c = Backdrop(BackgroundConfig.parse("blur"))
    still = still_picture(c, 320, 180, paused=True)
    c.close()
    top, bottom = still[5, 160].astype(int), still[170, 100].astype(int)
    assert (top > bottom).all()                     # a dark gradient, lighter at the top
    assert still[:, :, 0].std() < 30                # and flat apart from the marks


def test_paused_still_carries_the_same_badge_as_the_paused_picture():
    c = Backdrop(BackgroundConfig.parse("color:#000000"))
    still = still_picture(c, 640, 360, paused=True)
    frame = np.full((360, 640, 3), 200, np.uint8)   # a bright "room"
    paused = paused_picture(c, frame, buf=None)
    c.close()
    badge = (slice(0, 60), slice(0, 200))
    assert np.array_equal(still[badge], paused[badge]) and still[badge].max() == 255
    assert paused[60:].max() == 0 and paused[:, 200:].max() == 0  # the room is nowhere


def test_a_pause_with_passthrough_shows_the_room_only_heavily_blurred():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (180, 320, 3), np.uint8)  # a room full of detail
    buf = np.zeros_like(frame)
    paused = paused_picture(Backdrop(BackgroundConfig.parse("none")), frame, buf)
    assert paused is buf and not np.shares_memory(paused, frame)
    below_badge = paused[60:].astype(float)
    assert below_badge.std() < 0.2 * frame.astype(float).std()  # no detail left
