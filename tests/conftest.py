"""Shared test fixtures. Data in ../shared is read in place, never copied into the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def in_ci() -> bool:
    """True under CI (``CI=true``, as GitHub Actions and the team's runner set it)."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require_shared(*parts: str) -> Path:
    """``../shared/<parts>``, the team's real photos and clips (never copied into the repo).

    Outside CI a missing folder skips the test with one line saying what is missing, so
    someone with only the repository can still run the rest; with ``CI=true`` it fails, so CI
    never passes by silently skipping the data-dependent tests.
    """
    path = SHARED.joinpath(*parts)
    if path.exists():
        return path
    what = f"{path} is missing (the shared photos/clips folder next to the repository)"
    if in_ci():
        pytest.fail(f"{what}; CI=true requires it", pytrace=False)
    pytest.skip(what)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """One closing line when the shared data is missing (also under ``-q``)."""
    if not SHARED.is_dir():
        then = "failed (CI=true)" if in_ci() else "were skipped"
        terminalreporter.write_line(f"shared data: {SHARED} is missing; the tests that read "
                                    f"it {then}")


@pytest.fixture(scope="session")
def shared() -> Path:
    """The team's shared data folder (../shared); skips without it, fails in CI (see above)."""
    return require_shared()


@pytest.fixture(scope="session")
def portraits(shared: Path) -> list[tuple[Path, Path]]:
    """(image, mask) pairs of the AISegment portraits."""
    images = sorted((shared / "data" / "aiseg60" / "images").iterdir())
    masks = {p.stem: p for p in (shared / "data" / "aiseg60" / "masks").iterdir()}
    return [(p, masks[p.stem]) for p in images if p.stem in masks]


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A stand-in v4l2loopback node: an empty file the reader watcher can watch."""
    dev = tmp_path / "video9"
    dev.write_bytes(b"")
    return dev


@pytest.fixture(scope="module")
def clip(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short real clip made once per module with tests.media.make_clip: ``talk.mp4``, 12
    frames at 12 fps; a module that needs another sets ``CLIP = {"name": ..., "frames": ...,
    "fps": ..., "size": ..., "audio": ...}`` (make_clip's arguments, any of them)."""
    from tests.media import make_clip

    spec = dict(getattr(request.module, "CLIP", {}))
    name = spec.pop("name", "talk.mp4")
    spec.setdefault("frames", 12)
    spec.setdefault("fps", 12)
    path = tmp_path_factory.mktemp("clip") / name
    make_clip(path, **spec)
    return path


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
