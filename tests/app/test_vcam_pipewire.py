"""The PipeWire camera's checks in `vbg doctor` and the dialog, against a fake machine: the
daemon's socket, pw-dump's graph, the portal's files, the browsers' settings, pw-v4l2; and
the launcher for V4L2-only apps. (Against a real PipeWire: tests/e2e.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.test_vcam_doctor import SB_OFF, FakeRoot, FakeRunner, by_check
from vbg.app.syscommands import CommandResult
from vbg.app.vcam import doctor as vd
from vbg.app.vcam.findings import DoctorInputError
from vbg.app.vcam.pipewire import check_pipewire, usable, write_launcher

NODE = {"id": 42, "type": "PipeWire:Interface:Node",
        "info": {"props": {"node.name": "vbg", "media.role": "Camera",
                           "media.class": "Video/Source"}}}


@pytest.fixture
def machine(tmp_path: Path) -> dict:
    runtime = tmp_path / "run"
    runtime.mkdir()
    (runtime / "pipewire-0").touch()
    root = tmp_path / "root"
    (root / "usr/libexec").mkdir(parents=True)
    (root / "usr/libexec/xdg-desktop-portal").touch()
    home = tmp_path / "home"
    home.mkdir()
    return {"env": {"XDG_RUNTIME_DIR": str(runtime)}, "root": root, "home": home,
            "runner": FakeRunner(pw_dump=CommandResult(0, json.dumps([NODE]))),
            "which": lambda name: f"/usr/bin/{name}"}


def test_a_daemon_the_node_and_the_portal_make_it_usable(machine) -> None:
    found = {f.check: f for f in check_pipewire(**machine)}
    assert found["pipewire"].status == found["pipewire-node"].status == "ok"
    assert "node 42" in found["pipewire-node"].text
    assert found["portal"].status == "ok"
    assert "pw-v4l2 zoom" in found["pw-v4l2"].text
    assert usable(list(found.values()))


def test_no_daemon_is_one_note_and_nothing_else(machine) -> None:
    machine["env"] = {"XDG_RUNTIME_DIR": str(machine["root"])}  # no pipewire-0 there
    (only,) = check_pipewire(**machine)
    assert only.check == "pipewire" and only.status == "note" and "No PipeWire" in only.text
    assert machine["runner"].calls == []  # pw-dump not even asked
    assert not usable([only])


def test_a_missing_portal_is_a_problem_with_its_fix(machine) -> None:
    (machine["root"] / "usr/libexec/xdg-desktop-portal").unlink()
    found = {f.check: f for f in check_pipewire(**machine)}
    assert found["portal"].status == "problem"
    assert found["portal"].commands == ("sudo apt install xdg-desktop-portal",)
    assert not usable(list(found.values()))


def test_the_node_absent_and_pw_v4l2_missing_are_notes(machine) -> None:
    machine["runner"] = FakeRunner(pw_dump=CommandResult(0, "[]"))
    machine["which"] = lambda name: None
    found = {f.check: f for f in check_pipewire(**machine)}
    assert found["pipewire-node"].status == "note"
    assert found["pw-v4l2"].commands == ("sudo apt install pipewire-v4l2",)


def test_chromium_without_the_flag_and_firefox_with_the_pref_off(machine) -> None:
    home = machine["home"]
    state = home / ".config/chromium/Local State"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"browser": {"enabled_labs_experiments": []}}))
    prefs = home / ".mozilla/firefox/abc.default-esr/prefs.js"
    prefs.parent.mkdir(parents=True)
    prefs.write_text('user_pref("media.webrtc.camera.allow-pipewire", false);\n')
    found = {f.check: f for f in check_pipewire(**machine)}
    assert found["chromium-flag"].status == "note"
    assert "chrome://flags/#enable-webrtc-pipewire-camera" in found["chromium-flag"].fix
    assert found["firefox-pref"].status == "note" and "about:config" in found["firefox-pref"].fix
    state.write_text(json.dumps(
        {"browser": {"enabled_labs_experiments": ["enable-webrtc-pipewire-camera@1"]}}))
    prefs.write_text('user_pref("media.webrtc.camera.allow-pipewire", true);\n')
    found = {f.check: f for f in check_pipewire(**machine)}
    assert found["chromium-flag"].status == found["firefox-pref"].status == "ok"


def test_with_pipewire_usable_a_missing_module_is_a_note_and_the_camera_works(
        tmp_path: Path, machine) -> None:
    fake = FakeRoot(tmp_path / "sys")
    runner = FakeRunner(modinfo=CommandResult(1, "", "modinfo: ERROR: Module v4l2loopback not "
                                                     "found."), mokutil=SB_OFF)
    without = vd.diagnose("linux", fake.path, runner)
    assert by_check(without)["module-available"].status == "problem" and not without.works
    d = vd.diagnose("linux", fake.path, runner, pipewire=lambda: check_pipewire(**machine))
    f = by_check(d)["module-available"]
    assert f.status == "note" and "browsers read vbg's PipeWire camera" in f.fix
    assert d.works and d.exit_code == 0 and by_check(d)["pipewire"].status == "ok"


def test_the_launcher_starts_the_installed_app_through_pw_v4l2(tmp_path: Path) -> None:
    root, home = tmp_path / "root", tmp_path / "home"
    apps = root / "usr/share/applications"
    apps.mkdir(parents=True)
    (apps / "Zoom.desktop").write_text("[Desktop Entry]\nName=Zoom Workplace\n"
                                       "Exec=/usr/bin/zoom %U\nIcon=Zoom\n")
    path = write_launcher("zoom", home, root, which=lambda n: f"/usr/bin/{n}")
    assert path == home / ".local/share/applications/vbg-zoom.desktop"
    text = path.read_text()
    assert "Name=Zoom Workplace (vbg camera)\n" in text
    assert "Exec=pw-v4l2 /usr/bin/zoom %U\n" in text and "Icon=Zoom\n" in text


def test_the_launcher_refuses_in_one_sentence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(DoctorInputError, match="pw-v4l2 is not installed"):
        write_launcher("zoom", home, tmp_path, which=lambda n: None)
    with pytest.raises(DoctorInputError, match="No program 'zoom'"):
        write_launcher("zoom", home, tmp_path,
                       which=lambda n: "/usr/bin/pw-v4l2" if n == "pw-v4l2" else None)
    with pytest.raises(DoctorInputError, match="not a program name"):
        write_launcher("../x", home, tmp_path, which=lambda n: "/usr/bin/x")
    assert not home.exists()  # nothing half-written
