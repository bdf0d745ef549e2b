"""End-to-end tests against real consumers: a private PipeWire session (pwsession.py) read by
GStreamer, headless Chromium and Firefox ESR (browsers.py).

Every test under tests/e2e is marked ``e2e`` and ``slow``. Without the Debian packages
(pipewire pipewire-bin wireplumber dbus-user-session xdg-desktop-portal gstreamer1.0-pipewire
gstreamer1.0-tools gstreamer1.0-plugins-base chromium firefox-esr) the tests skip with one line;
with ``CI=true`` they fail instead, so CI never passes by skipping them.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import in_ci
from tests.e2e.browsers import CHROMIUM, FIREFOX, GST
from tests.e2e.pwsession import GST_STANDIN, PipeWireSession, missing_binaries

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items: mark only those collected from this folder.
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


def require(*binaries: str) -> None:
    """Skip (fail under CI=true) with one line when any of ``binaries`` is not installed."""
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        what = f"not installed: {', '.join(missing)} (Debian packages: see tests/e2e/conftest.py)"
        if in_ci():
            pytest.fail(f"{what}; CI=true requires them", pytrace=False)
        pytest.skip(what)


@pytest.fixture(scope="module")
def pw_session() -> Iterator[PipeWireSession]:
    """A private D-Bus + PipeWire + WirePlumber + xdg-desktop-portal session, camera
    pre-granted; one per test module, torn down (every process, the directory) after it."""
    missing = missing_binaries()
    if missing:
        what = (f"PipeWire session unavailable, not installed: {', '.join(missing)} "
                "(Debian packages: see tests/e2e/conftest.py)")
        if in_ci():
            pytest.fail(f"{what}; CI=true requires them", pytrace=False)
        pytest.skip(what)
    with PipeWireSession() as session:
        yield session


@pytest.fixture
def standin(pw_session: PipeWireSession) -> Iterator[tuple[subprocess.Popen, int]]:
    """GStreamer's magenta test pattern published as camera "vbg": (process, node id). A fresh
    one per test (the stand-in stalls after its first consumer leaves); its node is gone after."""
    require(GST)
    proc = pw_session.start(GST_STANDIN, name="standin")
    node = pw_session.camera_node("vbg", timeout=15)
    if node is None:
        pw_session.stop(proc)
        pytest.fail(f"the stand-in's node never appeared; log:\n{pw_session.log(proc)}")
    yield proc, node
    pw_session.stop(proc)
    assert pw_session.wait_node_gone("vbg", timeout=10), "the stand-in's node outlived it"


@pytest.fixture
def chromium() -> None:
    require(CHROMIUM)


@pytest.fixture
def firefox() -> None:
    require(FIREFOX)
