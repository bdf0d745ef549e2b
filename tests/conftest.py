"""Shared test fixtures. Data in ../shared is read in place, never copied into the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The team's shared data folder (../shared); CI has it."""
    assert SHARED.is_dir(), f"{SHARED} is missing: tests read real photos and clips from it"
    return SHARED


@pytest.fixture(scope="session")
def portraits(shared: Path) -> list[tuple[Path, Path]]:
    """(image, mask) pairs of the AISegment portraits."""
    images = sorted((shared / "data" / "aiseg60" / "images").iterdir())
    masks = {p.stem: p for p in (shared / "data" / "aiseg60" / "masks").iterdir()}
    return [(p, masks[p.stem]) for p in images if p.stem in masks]


@pytest.fixture
def recording_backend():
    """pyvirtualcam's real Camera with our in-process recording backend behind it."""
    from vbg.sinks.recording_backend import RecordingBackend, register_recording_backend

    register_recording_backend()
    RecordingBackend.instances.clear()
    RecordingBackend.fail_with = None
    yield RecordingBackend
    RecordingBackend.fail_with = None
    RecordingBackend.instances.clear()
