from dataclasses import replace

import pytest

from vbg.config import (
    AppConfig,
    BackgroundConfig,
    CaptureConfig,
    MattingConfig,
    color_hex,
    parse_hex_color,
    parse_size,
)


def test_background_specs_parse():
    assert BackgroundConfig.parse("blur") == BackgroundConfig(kind="blur")
    assert BackgroundConfig.parse("blur:9").blur_level == 9
    assert BackgroundConfig.parse("color:#FF8000").color == (0, 128, 255)  # BGR
    assert BackgroundConfig.parse("image:/x/y.png") == BackgroundConfig(kind="image",
                                                                        path="/x/y.png")
    assert BackgroundConfig.parse("none").kind == "none"


@pytest.mark.parametrize("spec, canonical", [
    ("blur", "blur:5"), ("blur:9", "blur:9"), ("colour:#ff8000", "color:#FF8000"),
    ("color", "color:#283040"), ("image:/x/y.png", "image:/x/y.png"),
    ("video:/x/ä b.mp4", "video:/x/ä b.mp4"), ("none", "none")])
def test_spec_is_parse_the_other_way_round(spec, canonical):
    bg = BackgroundConfig.parse(spec)
    assert bg.spec == canonical
    assert BackgroundConfig.parse(bg.spec) == bg
    assert replace(bg, light_wrap=0.5).spec == canonical  # light wrap is not part of it


@pytest.mark.parametrize("spec", ["blur:x", "blur:0", "blur:11", "color:#12", "image:",
                                  "sparkles", "none:1"])
def test_bad_background_specs_give_one_sentence(spec):
    with pytest.raises(ValueError) as e:
        BackgroundConfig.parse(spec)
    msg = str(e.value)
    assert msg.endswith(".") and "\n" not in msg


def test_sizes_and_colours():
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size("640X480") == (640, 480)
    with pytest.raises(ValueError, match="WIDTHxHEIGHT"):
        parse_size("1280")
    assert parse_hex_color("000000") == (0, 0, 0)
    assert color_hex((0, 128, 255)) == "#FF8000"
    assert parse_hex_color(color_hex((1, 2, 3))) == (1, 2, 3)


def test_validation_rejects_out_of_range():
    with pytest.raises(ValueError, match="even"):
        CaptureConfig(width=641, height=480)
    with pytest.raises(ValueError, match="fps"):
        CaptureConfig(fps=0)
    with pytest.raises(ValueError, match="Provider"):
        MattingConfig(provider="tpu")
    with pytest.raises(ValueError, match="Thread"):
        MattingConfig(threads=0)


def test_config_is_frozen_and_replaceable():
    cfg = AppConfig()
    with pytest.raises(AttributeError):
        cfg.capture = CaptureConfig()  # type: ignore[misc]
    new = replace(cfg, background=BackgroundConfig.parse("none"))
    assert new.background.kind == "none" and cfg.background.kind == "blur"
