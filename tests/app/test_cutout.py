"""The stills window's policy without Qt (vbg.app.cutout): names, what can be saved, the
background rules, the video job and the sentences."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vbg.app import cutout as cut
from vbg.config import BackgroundConfig
from vbg.stills import Cutout
from vbg.video import VideoResult


def a_cutout(h: int = 4, w: int = 6) -> Cutout:
    image = np.full((h, w, 3), 200, np.uint8)
    alpha = np.tile(np.linspace(0, 255, w).astype(np.uint8), (h, 1))
    return Cutout(image, alpha)


def result(**kw) -> VideoResult:
    fields = dict(frames=60, total=60, seconds=2.0, out=Path("/v/clip_vbg.mp4"), mask=None,
                  cancelled=False, audio="aac")
    fields.update(kw)
    return VideoResult(**fields)


def test_names_follow_vbg_image_beside_the_source_or_in_the_folder() -> None:
    src, folder = Path("/photos/me.jpg"), Path("/pics")
    assert cut.cutout_name(src, folder) == "/photos/me_foreground.png"
    assert cut.mask_name(src, "soft", folder) == "/photos/me_mask_soft.png"
    assert cut.mask_name(src, "binary", folder) == "/photos/me_mask_binary.png"
    assert cut.cutout_name(None, folder) == "/pics/cutout_foreground.png"
    assert cut.video_output_name(Path("/v/clip.mov")) == "/v/clip_vbg.mp4"


def test_saved_pictures_are_always_png() -> None:
    assert cut.png_path(Path("a/b.png")) == Path("a/b.png")
    assert cut.png_path(Path("a/b.PNG")) == Path("a/b.PNG")
    assert cut.png_path(Path("a/b")) == Path("a/b.png")
    assert cut.png_path(Path("a/b.jpg")) == Path("a/b.jpg.png")


def test_saving_needs_a_cut_and_no_cut_running() -> None:
    c = a_cutout()
    assert cut.can_save(c, busy=False)
    assert not cut.can_save(c, busy=True) and not cut.can_save(None, busy=False)


def test_the_inputs_own_transparency_is_kept() -> None:
    c = a_cutout()
    own = np.full(c.alpha.shape, 100, np.uint8)
    kept = cut.keep_own_alpha(c, own)
    assert kept.alpha.max() == 100 and np.array_equal(kept.image, c.image)
    assert cut.keep_own_alpha(c, None) is c


def test_the_chosen_mask_soft_or_binary_at_the_threshold() -> None:
    c = a_cutout()
    assert cut.chosen_mask(None, "soft", 50) is None
    assert cut.chosen_mask(c, "soft", 50) is c.alpha
    assert np.array_equal(cut.chosen_mask(c, "binary", 30), c.binary(0.3))


def test_a_background_picture_turns_transparent_into_alpha_and_keeps_a_chosen_blend() -> None:
    assert cut.blend_for_background("none") == "alpha"
    assert cut.blend_for_background("poisson") == "poisson"
    assert cut.blend_for_background("alpha") == "alpha"


def test_composites_are_made_once_per_cutout_and_blend() -> None:
    comps, c = cut.Composites(), a_cutout()
    assert comps.composite(c, "alpha") is None  # no picture yet
    comps.set_background(np.zeros((8, 8, 3), np.uint8))
    first = comps.composite(c, "alpha")
    assert first is not None and first.shape == c.image.shape
    assert comps.composite(c, "alpha") is first  # cached
    assert comps.composite(c, "none") is None  # transparent wanted
    assert comps.composite(a_cutout(), "alpha") is not first  # another cut
    assert comps.saved_picture(c, "none").shape == (4, 6, 4)  # the transparent PNG (BGRA)
    assert comps.saved_picture(c, "alpha").shape == (4, 6, 3)


def test_a_video_gets_the_chosen_background_but_blur_for_none() -> None:
    colour = BackgroundConfig.parse("color:#00FF00")
    assert cut.video_background(colour) == colour
    assert cut.video_background(BackgroundConfig.parse("none")) == BackgroundConfig()
    job = cut.video_job(Path("in.mp4"), Path("out.mp4"), "selfie_landscape",
                        BackgroundConfig.parse("none"))
    assert job.force and job.matting.model == "selfie_landscape"
    assert job.background == BackgroundConfig()


def test_progress_is_handed_over_at_most_a_hundred_times() -> None:
    assert cut.progress_step(60) == 1
    assert cut.progress_step(1000) == 10
    assert cut.progress_step(0) == 1  # unknown total


def test_how_a_video_ended_in_one_sentence() -> None:
    saved = cut.video_outcome(result(), Path("clip.mp4"))
    assert saved.text == "Saved /v/clip_vbg.mp4 (60 frames, 30.0 fps)." and saved.tone == "info"
    assert saved.caption is None
    cancelled = cut.video_outcome(result(cancelled=True), Path("clip.mp4"))
    assert "nothing was saved" in cancelled.text and cancelled.caption == "Cancelled"
    early = cut.video_outcome(result(ended_early=True, frames=30), Path("clip.mp4"))
    assert early.tone == "warning"
    assert early.text == result(ended_early=True, frames=30).ended_early_sentence(
        Path("clip.mp4"))


def test_sentences_name_the_picture() -> None:
    assert cut.cut_sentence(Path("/p/me.jpg"), a_cutout()).startswith("me.jpg: 6×4. ")
    assert cut.cut_sentence(None, a_cutout()).startswith("photo: 6×4. ")
    assert "lake.png" in cut.background_sentence(Path("/b/lake.png"))
