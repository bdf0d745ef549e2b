"""Low-light correction in the live pipeline (issue 24): a real clip darkened as a dim room
darkens a webcam, the real model, the in-process virtual camera. With ``light`` "auto" the
person apps receive is brighter; "off" never builds the light at all; switched on while
running without reopening the virtual camera. The room is never relit: where the mask is 0 the
picture is exactly the camera's (background none) or exactly the colour."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

import vbg.pipeline.process_stage
from tests.conftest import require_shared
from tests.media import BITS, CELL, DARKEN, decode_video, read_stamp, stamp, write_clip
from tests.pipeline.composites import (
    GREEN,
    record_composites,
    run_recorded,
    switch_while_running,
)
from vbg.config import AppConfig, BackgroundConfig, CaptureConfig, OutputConfig
from vbg.matting.engine import MaskEngine
from vbg.pipeline import SinkSet


@pytest.fixture(scope="module")
def dark_frames() -> list[np.ndarray]:
    """The first frames of a real clip at 640×360, darkened (decoded once per module)."""
    frames = decode_video(require_shared("video", "office_desk.mp4"))[:40]
    return [cv2.LUT(cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA), DARKEN)
            for f in frames]


@pytest.fixture(scope="module")
def dark_clip(tmp_path_factory, dark_frames) -> Path:
    path = tmp_path_factory.mktemp("light_pipe") / "dark.mp4"
    write_clip(path, dark_frames)
    return path


def config(clip: Path, light: str) -> AppConfig:
    return AppConfig(
        capture=CaptureConfig(source=str(clip), width=640, height=360, fps=30),
        background=BackgroundConfig.parse("color:#00FF00"),
        output=OutputConfig(vcam=True, vcam_backend="vbg-recording", fps=30, light=light),
    )


def person_luma(frames: list[np.ndarray]) -> list[float]:
    out = []
    for f in frames:
        person = ~np.all(f == GREEN, axis=2)
        if person.mean() > 0.05:
            out.append(float(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)[person].mean()))
    return out


def record(recording_backend, clip: Path, light: str, frames: int = 25) -> list[np.ndarray]:
    return record_composites(recording_backend, config(clip, light), frames)


def test_light_auto_brightens_the_person_apps_receive(recording_backend, dark_clip,
                                                      monkeypatch):
    auto = person_luma(record(recording_backend, dark_clip, "auto"))

    def refuse(*_a, **_k):
        raise AssertionError("light off built a Lighting")

    monkeypatch.setattr(vbg.pipeline.process_stage, "Lighting", refuse)
    off = person_luma(record(recording_backend, dark_clip, "off"))
    assert len(off) > 10 and len(auto) > 10
    assert np.median(auto) > np.median(off) + 10


def test_light_is_switched_on_while_running_without_reopening_the_camera(recording_backend,
                                                                        dark_clip):
    cfg = config(dark_clip, "off")
    switch_while_running(recording_backend, cfg,
                         replace(cfg, output=replace(cfg.output, light="auto")), "light",
                         before=10, after=15)


# --- the room is never relit -------------------------------------------------------------------
#
# Every frame carries its number (tests.media.stamp: black/white blocks along the top-left edge,
# in the room), so a picture that went out can be paired with the camera frame and the mask the
# engine made of it.


@pytest.fixture(scope="module")
def stamped_dark_clip(tmp_path_factory, dark_frames) -> Path:
    """The darkened clip with each frame's number + 1 stamped in after darkening (so the
    blocks are pure black and white; 0 is left out: no stamp reads as frame 0)."""
    dark = []
    for i, f in enumerate(dark_frames):
        d = f.copy()
        stamp(d, i + 1)
        dark.append(d)
    path = tmp_path_factory.mktemp("light_pipe_stamped") / "dark.mp4"
    write_clip(path, dark)
    return path


def stamp_of(image: np.ndarray) -> int | None:
    """The number stamped in ``image``, or None where the corner holds no clean stamp (the
    still sent before the first composite, a colour background)."""
    for b in range(BITS):
        block = image[4:CELL - 4, b * CELL + 4:(b + 1) * CELL - 4]
        if not (block.max() < 48 or block.min() > 207):
            return None
    return read_stamp(image) or None


def run_noting(recording_backend, cfg: AppConfig, monkeypatch, frames: int = 25):
    """Run ``cfg`` for ``frames`` output frames; ``(seen, sent)``: per stamped number the
    camera frame and the alpha the engine made of it (copies), and every (picture, alpha)
    handed to the outputs (copies; alpha None for stills)."""
    seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    sent: list[tuple[np.ndarray, np.ndarray | None]] = []
    process, send = MaskEngine.process, SinkSet.send

    def noting_process(self, image, *a, **k):
        alpha = process(self, image, *a, **k)
        n = stamp_of(image)
        assert n is not None, "a camera frame without its stamp"
        seen[n] = (image.copy(), alpha.copy())
        return alpha

    def noting_send(self, image, alpha):
        sent.append((image.copy(), None if alpha is None else alpha.copy()))
        send(self, image, alpha)

    monkeypatch.setattr(MaskEngine, "process", noting_process)
    monkeypatch.setattr(SinkSet, "send", noting_send)
    received = run_recorded(recording_backend, cfg, frames)
    # What apps received is what was handed to the outputs.
    assert len(received) == len(sent)
    assert all(np.array_equal(r, s) for r, (s, _) in zip(received, sent, strict=True))
    return seen, sent


def luma(image: np.ndarray, where: np.ndarray) -> float:
    return float(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[where].mean())


def test_light_auto_without_a_background_relights_only_the_person(recording_backend,
                                                                  stamped_dark_clip,
                                                                  monkeypatch):
    """Background none: the picture is the camera's, the person relit by alpha; where alpha
    is 0 (the room) every pixel is exactly the camera's."""
    cfg = replace(config(stamped_dark_clip, "auto"), background=BackgroundConfig.parse("none"))
    seen, sent = run_noting(recording_backend, cfg, monkeypatch)
    checked = 0
    for image, _ in sent:
        n = stamp_of(image)
        if n is None:
            continue  # the still before the first composite
        camera, alpha = seen[n]
        room, person = alpha == 0, alpha == 255
        assert room.mean() > 0.2 and person.mean() > 0.05
        assert np.array_equal(image[room], camera[room]), f"frame {n}: the room was relit"
        assert luma(image, person) > luma(camera, person) + 10  # the person was relit
        checked += 1
    assert checked >= 10


def test_light_auto_over_a_colour_shows_exactly_the_colour_where_alpha_is_0(
        recording_backend, stamped_dark_clip, monkeypatch):
    """A colour background: where alpha is 0 every pixel is exactly the colour, while the
    person in the same picture is relit."""
    # A mid grey (a curve that lifts the person would move it; pure green it would not).
    cfg = replace(config(stamped_dark_clip, "auto"),
                  background=BackgroundConfig.parse("color:#807060"))
    seen, sent = run_noting(recording_backend, cfg, monkeypatch)
    checked = 0
    for image, alpha in sent:
        if alpha is None:
            continue  # the still before the first composite
        # The camera frame the engine made this very alpha of (no two frames' masks are equal).
        cameras = [c for c, a in seen.values() if np.array_equal(a, alpha)]
        assert cameras, "a composite whose mask the engine never made"
        room, person = alpha == 0, alpha == 255
        assert room.mean() > 0.2 and person.mean() > 0.05
        assert np.all(image[room] == (0x60, 0x70, 0x80)), "the room is not exactly the colour"
        assert all(luma(image, person) > luma(c, person) + 10 for c in cameras)  # relit
        checked += 1
    assert checked >= 10
