"""The virtual-camera dialog in the running app: never a popup at launch, opened from the
status bar's pill, the diagnosis as a list with command blocks, Copy with feedback, the
one-click setup through (fake) pkexec, its refusals, and ``vbg --tray``.

The diagnosis runs for real against a fake sysfs/proc root (tests/app/test_vcam_doctor.py's
FakeRoot) with a fake command runner: the only stand-ins are the kernel's state and root.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication

from tests.app.test_vcam_doctor import MODINFO, SB_OFF, VIDEO_GID, FakeRoot, FakeRunner
from tests.ui.conftest import WAIT_MS
from vbg.app.syscommands import CommandResult
from vbg.app.vcam import doctor as vd
from vbg.app.vcam import setup as vcam_setup

NO_DEVICE = "no v4l2loopback device found"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class Machine:
    """A fake machine for the shell's ``diagnose_vcam``/``setup_vcam`` seams: the .deb is
    installed (boot config, root-owned helper) and v4l2loopback is not loaded."""

    def __init__(self, tmp_path: Path, recording_backend, helper: bool = True) -> None:
        self.root = FakeRoot(tmp_path / "machine")
        self.root.boot_config()
        if helper:
            self.root.helper()
        self.backend = recording_backend
        self.pkexec: CommandResult | None = CommandResult(0, "vbg: the virtual camera "
                                                             "\"vbg\" is ready.\n")
        self.diagnoses = 0
        self.runner_calls: list[list[str]] = []

    def diagnose(self, load_error: str) -> vd.Diagnosis:
        self.diagnoses += 1
        runner = FakeRunner(modinfo=MODINFO, mokutil=SB_OFF)
        return vd.diagnose("linux", self.root.path, runner, load_error=load_error, uid=1000,
                           gids=[VIDEO_GID], self_pid=1, helper_owner_uid=os.getuid())

    def setup(self, d: vd.Diagnosis) -> vcam_setup.SetupOutcome:
        answers = {} if self.pkexec is None else {"pkexec": self.pkexec}

        class Runner(FakeRunner):
            def __call__(inner, argv, timeout):  # noqa: N805
                result = FakeRunner.__call__(inner, argv, timeout)
                if argv[0] == "pkexec" and result.returncode == 0:
                    # What the real helper does as root: the module is loaded, the device is
                    # there, and the app's next attempt opens it.
                    self.root.load_module()
                    self.root.device(4, "vbg")
                    self.backend.fail_with = None
                return result

        runner = Runner(**answers)
        try:
            return vcam_setup.run_setup(d, runner, self.root.path, owner_uid=os.getuid())
        finally:
            self.runner_calls += runner.calls

    def seams(self) -> dict:
        return {"diagnose_vcam": self.diagnose, "setup_vcam": self.setup}


@pytest.fixture
def machine(tmp_path: Path, recording_backend) -> Machine:
    return Machine(tmp_path, recording_backend)


def open_dialog(h, qtbot):
    h.window.vcam_pill.click()
    dialog = h.shell.vcam.dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    qtbot.waitUntil(lambda: dialog.diagnosis is not None and dialog.check_button.isEnabled(),
                    timeout=WAIT_MS)
    return dialog


def test_no_virtual_camera_is_not_a_popup(make_app, qtbot, recording_backend, machine) -> None:
    recording_backend.fail_with = NO_DEVICE
    h = make_app(**machine.seams())
    c = h.controller
    assert h.shell.vcam.dialog is None  # nothing pops up at launch
    assert h.window.vcam_pill.text().endswith("Virtual camera off — set up")
    assert "Video apps can't see vbg yet: click “Virtual camera off — set up”" in \
        h.window.message_label.text()
    # The preview runs without the virtual camera.
    assert c.session.pipeline is not None and not c.session.pipeline.config.output.vcam
    seq = c.session.latest_frame()[0]
    qtbot.waitUntil(lambda: c.session.latest_frame()[0] > seq + 3, timeout=WAIT_MS)
    # Retrying and failing again is not said again.
    h.window.show_message("", "info")
    assert not c.retry_vcam()
    assert h.shell.vcam.dialog is None and h.window.message_label.text() == ""


def test_a_camera_failing_mid_stream_is_not_a_popup(make_app, qtbot, machine) -> None:
    from vbg.errors import OutputError

    h = make_app(**machine.seams())
    c = h.controller
    assert c.session.vcam_device == "vbg-recording"
    threading.Thread(target=c.session.pipeline.on_error,
                     args=(OutputError("The virtual camera vbg-recording stopped."),)).start()
    qtbot.waitUntil(lambda: "can't see vbg" in h.window.message_label.text(), timeout=WAIT_MS)
    assert h.shell.vcam.dialog is None and not c.session.pipeline.config.output.vcam
    assert h.shell.vcam.last_vcam_help == "The virtual camera vbg-recording stopped."
    seq = c.session.latest_frame()[0]
    qtbot.waitUntil(lambda: c.session.latest_frame()[0] > seq + 3, timeout=WAIT_MS)  # preview alive


def test_the_pill_opens_the_diagnosis(make_app, qtbot, recording_backend, machine) -> None:
    recording_backend.fail_with = NO_DEVICE
    h = make_app(**machine.seams())
    dialog = open_dialog(h, qtbot)
    texts = [label.text() for label in dialog.finding_labels]
    assert any("installed but not loaded" in t and "/etc/modules-load.d/vbg.conf" in t
               for t in texts)
    assert [b.commands for b in dialog.command_blocks] == [list(vd.RELOAD[1:])]
    assert dialog.setup_button.isVisible() and dialog.setup_button.isEnabled()
    assert NO_DEVICE in dialog.app_error.text()
    assert dialog.headline.text() == "Video apps can't see vbg yet"
    # For a look (git-ignored): test-artifacts/vcam-dialog.png.
    ARTIFACTS.mkdir(exist_ok=True)
    # Fitted to its content: as tall as its wrapped labels and command blocks need, no taller.
    qtbot.waitUntil(lambda: dialog.height() == dialog.layout().totalHeightForWidth(
        dialog.width()), timeout=WAIT_MS)
    assert dialog.height() < 600
    assert dialog.grab().save(str(ARTIFACTS / "vcam-dialog.png"))


def test_the_details_line_holds_pyvirtualcams_words_only(make_app, qtbot, recording_backend,
                                                          machine) -> None:
    # pyvirtualcam's real wording has brackets of its own ("/dev/video[0-99]"): the details
    # line still drops vbg's advice (the findings say it) and keeps pyvirtualcam's sentence.
    reason = ("'v4l2loopback' backend: No v4l2 loopback device found at /dev/video[0-99]. "
              "Did you run 'modprobe v4l2loopback'? See also pyvirtualcam's documentation.")
    recording_backend.fail_with = reason
    h = make_app(**machine.seams())
    dialog = open_dialog(h, qtbot)
    details = dialog.app_error.text()
    assert details.startswith("Details of vbg's last try: ") and details.endswith(reason)
    assert "sudo" not in details and "/etc/" not in details


def test_copy_commands_copies_shell_lines_and_says_so(make_app, qtbot, recording_backend,
                                                      tmp_path: Path) -> None:
    recording_backend.fail_with = NO_DEVICE
    m = Machine(tmp_path, recording_backend, helper=False)  # a source checkout
    for rel in ("etc/modules-load.d/vbg.conf", "etc/modprobe.d/vbg.conf"):
        (m.root.path / rel).unlink()
    h = make_app(**m.seams())
    dialog = open_dialog(h, qtbot)
    assert not dialog.setup_button.isVisible()  # never pkexec a user-writable script
    assert dialog.helper_note.isVisible() and "source checkout" in dialog.helper_note.text()
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    lines = copied.splitlines()
    assert copied.endswith("\n") and len(lines) == 3
    assert lines[0].startswith("sudo modprobe v4l2loopback ")
    assert all(" | sudo tee /etc/" in ln for ln in lines[1:])
    assert dialog.copy_button.text() == "Copied ✓"
    assert dialog.status.text().startswith("Copied 3 commands")
    qtbot.waitUntil(lambda: dialog.copy_button.text() == "Copy commands", timeout=WAIT_MS)


def test_one_click_setup_then_the_camera_opens(make_app, qtbot, recording_backend,
                                               machine) -> None:
    recording_backend.fail_with = NO_DEVICE
    h = make_app(**machine.seams())
    dialog = open_dialog(h, qtbot)
    dialog.setup_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert machine.runner_calls == [["pkexec", vcam_setup.HELPER]]
    c = h.controller
    assert c.session.vcam_device == "vbg-recording" and c.session.pipeline.config.output.vcam
    qtbot.waitUntil(lambda: recording_backend.last().frames_sent > 3, timeout=WAIT_MS)
    assert "Virtual camera on" in h.window.message_label.text()
    assert "vbg-recording" in h.window.vcam_pill.text()


@pytest.mark.parametrize("pkexec, words", [
    (None, "pkexec is not installed"),
    (CommandResult(126, "", "Error executing command as another user: Request dismissed"),
     "cancelled"),
])
def test_setup_refused_keeps_the_commands(make_app, qtbot, recording_backend, machine,
                                          pkexec, words) -> None:
    recording_backend.fail_with = NO_DEVICE
    machine.pkexec = pkexec
    h = make_app(**machine.seams())
    dialog = open_dialog(h, qtbot)
    before = machine.diagnoses
    dialog.setup_button.click()
    qtbot.waitUntil(lambda: dialog.outcome.isVisible() and machine.diagnoses > before
                    and dialog.check_button.isEnabled(), timeout=WAIT_MS)
    assert words in dialog.outcome.text() and "commands" in dialog.outcome.text()
    assert dialog.isVisible() and dialog.command_blocks  # the commands are still there
    assert h.controller.session.vcam_device is None


def test_check_again_after_fixing_by_hand(make_app, qtbot, recording_backend, machine) -> None:
    recording_backend.fail_with = NO_DEVICE
    h = make_app(**machine.seams())
    dialog = open_dialog(h, qtbot)
    recording_backend.fail_with = "still no device"
    dialog.check_button.click()
    qtbot.waitUntil(lambda: "still no device" in dialog.app_error.text()
                    and dialog.check_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.isVisible()
    recording_backend.fail_with = None  # the user ran the commands
    dialog.check_button.click()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert h.controller.session.vcam_device == "vbg-recording"


# ----------------------------------------------------------------------------- --tray


def test_start_in_the_tray_shows_no_window_and_runs(make_app, qtbot, machine) -> None:
    h = make_app(start=False, **machine.seams())
    h.shell.tray_available = True
    h.shell.start(in_tray=True)
    c = h.controller
    qtbot.waitUntil(lambda: c.session.pipeline is not None and c.session.pipeline.output_count > 3,
                    timeout=WAIT_MS)
    assert not h.window.isVisible() and h.tray.visible
    seq = c.session.latest_frame()[0]
    qtbot.waitUntil(lambda: c.session.latest_frame()[0] > seq + 3, timeout=WAIT_MS)  # keeps running
    assert not h.window.isVisible()


def test_tray_that_appears_late_or_never(make_app, qtbot, machine) -> None:
    late = make_app(start=False, **machine.seams())
    probes: list[int] = []
    late.shell.tray_probe = lambda: probes.append(1) or len(probes) > 2
    late.shell.start(in_tray=True)
    qtbot.waitUntil(lambda: late.tray.visible, timeout=WAIT_MS)
    assert not late.window.isVisible() and not late.window.quit_on_close

    never = make_app(start=False, **machine.seams())
    never.shell.TRAY_WAIT_S = 1.0
    never.shell.tray_probe = lambda: False
    never.shell.start(in_tray=True)
    assert not never.window.isVisible()
    qtbot.waitUntil(never.window.isVisible, timeout=WAIT_MS)  # never an invisible app
