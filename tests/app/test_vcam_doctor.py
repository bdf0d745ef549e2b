"""The virtual-camera diagnosis against a fake sysfs/procfs/devfs tree in tmp_path and a fake
command runner (the only stand-ins: the kernel's state and root), and the one-click setup's
pkexec path with its refusals."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import pytest

from vbg.app.syscommands import CommandResult
from vbg.app.vcam import doctor as vd
from vbg.app.vcam import setup as vcam_setup
from vbg.app.vcam.doctor import diagnose
from vbg.sinks.virtualcam import V4L2LOOPBACK_OPTIONS

USER = 1000
VIDEO_GID = 44
ME = 5000  # our own pid in the fake /proc


class FakeRunner:
    """Answers by program name; records every call. A program not in ``answers`` is "not
    installed"."""

    def __init__(self, **answers: CommandResult) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str], timeout: float | None) -> CommandResult:
        self.calls.append(list(argv))
        name = argv[0].replace("-", "_")
        if name not in self.answers:
            return CommandResult(127, "", f"{argv[0]}: not installed", missing=True)
        return self.answers[name]


MODINFO = CommandResult(0, "filename: /lib/modules/6.8.0/updates/dkms/v4l2loopback.ko\n"
                           "version:        0.12.7\nsig_id:  PKCS#7\nsigner:  DKMS module key\n")
SB_OFF = CommandResult(0, "SecureBoot disabled\n")
SB_ON = CommandResult(0, "SecureBoot enabled\n")


class FakeRoot:
    """A machine's /sys, /proc, /dev and /etc under tmp_path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.write("etc/os-release", 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\n')
        self.write("proc/sys/kernel/osrelease", "6.8.0-45-generic\n")
        self.write("etc/group", "root:x:0:\nvideo:x:44:\n")
        (path / "dev").mkdir(exist_ok=True)

    def write(self, rel: str, text: str) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def load_module(self, exclusive_caps: str = "Y,N,N,N,N,N,N,N") -> None:
        (self.path / "sys/module/v4l2loopback").mkdir(parents=True, exist_ok=True)
        if exclusive_caps:
            self.write("sys/module/v4l2loopback/parameters/exclusive_caps",
                       exclusive_caps + "\n")

    def device(self, n: int, label: str, mode: int = 0o660, gid: int = VIDEO_GID,
               writer_format: str = "") -> None:
        self.write(f"sys/devices/virtual/video4linux/video{n}/name", label + "\n")
        self.write(f"sys/devices/virtual/video4linux/video{n}/format",
                   writer_format + ("\n" if writer_format else ""))
        node = self.write(f"dev/video{n}", "")
        node.chmod(mode)
        os.chown(node, 0, gid)

    def process(self, pid: int, comm: str, *targets: str, cmdline: str = "") -> None:
        self.write(f"proc/{pid}/comm", comm + "\n")
        (self.path / f"proc/{pid}").mkdir(parents=True, exist_ok=True)
        (self.path / f"proc/{pid}/cmdline").write_bytes(
            (cmdline or comm).replace(" ", "\0").encode() + b"\0")
        fd = self.path / f"proc/{pid}/fd"
        fd.mkdir(parents=True)
        (fd / "0").symlink_to("/dev/null")
        for i, t in enumerate(targets, start=3):
            (fd / str(i)).symlink_to(t)

    def boot_config(self) -> None:
        self.write("etc/modules-load.d/vbg.conf", "v4l2loopback\n")
        self.write("etc/modprobe.d/vbg.conf", f"options v4l2loopback {V4L2LOOPBACK_OPTIONS}\n")

    def helper(self, mode: int = 0o755) -> Path:
        h = self.write("usr/lib/vbg/setup-virtual-camera", "#!/bin/sh\n")
        h.chmod(mode)
        for d in (h.parent, h.parent.parent, self.path / "usr", self.path):
            d.chmod(0o755)
        return h


@pytest.fixture
def root(tmp_path: Path) -> FakeRoot:
    return FakeRoot(tmp_path / "root")


def run(root: FakeRoot, runner: FakeRunner | None = None, gids: Sequence[int] = (VIDEO_GID,),
        **kw) -> vd.Diagnosis:
    return diagnose("linux", root.path, runner or FakeRunner(modinfo=MODINFO, mokutil=SB_OFF),
                    uid=USER, gids=gids, self_pid=ME, helper_owner_uid=os.getuid(), **kw)


def by_check(d: vd.Diagnosis) -> dict[str, vd.Finding]:
    return {f.check: f for f in d.findings}


def test_a_working_camera_exits_0(root: FakeRoot) -> None:
    root.load_module()
    root.boot_config()
    root.device(4, "vbg")
    d = run(root)
    assert d.works and d.exit_code == 0 and not d.problems
    assert [f.check for f in d.findings] == [
        "os", "module-available", "module-loaded", "devices", "exclusive-caps", "busy",
        "permissions"]
    f = by_check(d)
    assert "Ubuntu 24.04" in f["os"].text and "6.8.0-45-generic" in f["os"].text
    assert "/dev/video4" in f["devices"].text and "vbg" in f["devices"].text
    assert d.summary.startswith("The virtual camera works") and "/dev/video4" in d.summary
    assert d.setup is None and d.commands == []


def test_not_installed_says_how_to_install_for_this_distro(root: FakeRoot) -> None:
    d = run(root, FakeRunner(modinfo=CommandResult(1, "", "modinfo: ERROR: Module "
                                                          "v4l2loopback not found.")))
    assert d.exit_code == 1 and d.setup is None  # the helper can't install packages
    f = by_check(d)["module-available"]
    assert f.status == "problem" and "not installed" in f.text
    assert f.commands == ("sudo apt install v4l2loopback-dkms",
                          f"sudo modprobe v4l2loopback {V4L2LOOPBACK_OPTIONS}")
    root.write("etc/os-release", "ID=arch\n")
    d = run(root, FakeRunner(modinfo=CommandResult(1)))
    assert by_check(d)["module-available"].commands[0] == "sudo pacman -S v4l2loopback-dkms"


def test_dkms_without_a_module_for_this_kernel_names_the_headers(root: FakeRoot) -> None:
    (root.path / "var/lib/dkms/v4l2loopback").mkdir(parents=True)
    d = run(root, FakeRunner(modinfo=CommandResult(1)))
    f = by_check(d)["module-available"]
    assert f.status == "problem"
    assert "sudo apt install linux-headers-6.8.0-45-generic" in f.commands


def test_installed_by_the_deb_but_not_loaded(root: FakeRoot) -> None:
    """The .deb wrote its boot config; the module is there but not loaded: say so, and offer
    to load it now (no config commands: they are in place)."""
    root.boot_config()
    root.helper()
    d = run(root)
    f = by_check(d)["module-loaded"]
    assert f.status == "problem" and "not loaded" in f.text
    assert "/etc/modules-load.d/vbg.conf" in f.text and "next boot" in f.text
    assert f.commands == (f"sudo modprobe v4l2loopback {V4L2LOOPBACK_OPTIONS}",)
    assert d.setup == "load" and d.helper is not None


def test_not_loaded_without_config_gives_tee_lines_a_shell_can_run(root: FakeRoot,
                                                                   tmp_path: Path) -> None:
    d = run(root)
    cmds = by_check(d)["module-loaded"].commands
    tees = [c for c in cmds if "sudo tee" in c]
    assert len(tees) == 2
    # Run them with a stand-in "sudo" that just runs the command: the files come out right.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "sudo").write_text('#!/bin/sh\nexec "$@"\n')
    (bindir / "sudo").chmod(0o755)
    out = tmp_path / "out"
    for c in tees:
        c = c.replace("/etc/", f"{out}/etc/")
        (out / "etc/modules-load.d").mkdir(parents=True, exist_ok=True)
        (out / "etc/modprobe.d").mkdir(parents=True, exist_ok=True)
        import subprocess

        r = subprocess.run(["sh", "-c", c], env={**os.environ,
                                                  "PATH": f"{bindir}:{os.environ['PATH']}"})
        assert r.returncode == 0
    assert (out / "etc/modules-load.d/vbg.conf").read_text() == "v4l2loopback\n"
    assert (out / "etc/modprobe.d/vbg.conf").read_text() == (
        f"options v4l2loopback {V4L2LOOPBACK_OPTIONS}\n")


def test_secure_boot_rejection_says_how_to_enrol_the_key(root: FakeRoot) -> None:
    root.boot_config()
    journal = CommandResult(0, "Failed to insert module 'v4l2loopback': Key was rejected by "
                               "service\n")
    runner = FakeRunner(modinfo=MODINFO, mokutil=SB_ON, journalctl=journal)
    d = run(root, runner)
    f = by_check(d)["secure-boot"]
    assert f.status == "problem" and "Key was rejected by service" in f.text
    assert "sudo mokutil --import /var/lib/dkms/mok.pub" in f.commands
    assert "reboot" in f.fix and "Enroll MOK" in f.fix
    assert ["mokutil", "--sb-state"] in runner.calls
    assert d.setup is None  # loading again as root would fail the same way
    # The same from the setup helper's output, with no journal to read.
    d = run(root, FakeRunner(modinfo=MODINFO, mokutil=SB_ON),
            load_error="modprobe: ERROR: could not insert 'v4l2loopback': Key was rejected "
                       "by service")
    assert by_check(d)["secure-boot"].status == "problem"


def test_secure_boot_on_and_module_unsigned_warns_before_loading(root: FakeRoot) -> None:
    unsigned = CommandResult(0, "filename: /lib/modules/x/v4l2loopback.ko\nversion: 0.12.7\n")
    d = run(root, FakeRunner(modinfo=unsigned, mokutil=SB_ON))
    assert by_check(d)["secure-boot"].status == "problem"
    assert "not signed" in by_check(d)["secure-boot"].text


class MokRunner(FakeRunner):
    """mokutil answering --sb-state and --test-key differently."""

    def __init__(self, test_key: str) -> None:
        super().__init__(modinfo=MODINFO)
        self.test_key = test_key

    def __call__(self, argv, timeout):
        self.calls.append(list(argv))
        if argv[:2] == ["mokutil", "--sb-state"]:
            return SB_ON
        if argv[:2] == ["mokutil", "--test-key"]:
            return CommandResult(1 if "not" in self.test_key else 0, self.test_key)
        return super().__call__(argv, timeout)


def test_secure_boot_key_not_enrolled_yet(root: FakeRoot) -> None:
    """The usual first install: DKMS made a key and signed the module, the key waits to be
    enrolled."""
    root.write("var/lib/dkms/mok.pub", "key")
    runner = MokRunner("/var/lib/dkms/mok.pub is not enrolled\n")
    f = by_check(run(root, runner))["secure-boot"]
    assert f.status == "problem" and "not enrolled" in f.text
    assert f.commands == ("sudo mokutil --import /var/lib/dkms/mok.pub",)
    assert ["mokutil", "--test-key", "/var/lib/dkms/mok.pub"] in runner.calls
    f = by_check(run(root, MokRunner("/var/lib/dkms/mok.pub is already enrolled\n")))
    assert f["secure-boot"].status == "ok" and f["module-loaded"].status == "problem"


def test_exclusive_caps_off_asks_for_a_reload(root: FakeRoot) -> None:
    root.load_module("N,N,N,N,N,N,N,N")
    root.boot_config()
    root.device(4, "Dummy video device (0x0000)")
    d = run(root)
    f = by_check(d)["exclusive-caps"]
    assert f.status == "problem" and "/dev/video4" in f.text and "Chrome" in f.text
    assert f.commands == vd.RELOAD and d.setup == "reload" and d.exit_code == 1


def test_exclusive_caps_per_device(root: FakeRoot) -> None:
    root.load_module("Y,N,N,N,N,N,N,N")
    root.boot_config()
    root.device(2, "vbg")
    root.device(3, "OBS")
    assert by_check(run(root))["exclusive-caps"].text.startswith(
        "exclusive_caps is off for /dev/video3")
    assert by_check(run(root, device="/dev/video2"))["exclusive-caps"].status == "ok"


def test_a_device_fed_by_obs_is_busy(root: FakeRoot) -> None:
    root.load_module()
    root.boot_config()
    root.device(4, "vbg", writer_format="YU12:1280x720@30")
    root.process(4242, "obs", "/dev/video4", "/dev/null")
    root.process(4300, "bash", "/dev/pts/1")
    d = run(root)
    f = [f for f in d.findings if f.check == "busy"][0]
    assert f.status == "problem" and "obs (pid 4242)" in f.text and "bash" not in f.text
    assert "Stop Virtual Camera" in f.fix and any("devices=2" in c for c in f.commands)
    assert not d.works and d.devices[0].busy


def test_a_second_free_device_is_only_a_note(root: FakeRoot) -> None:
    root.load_module("Y,Y")
    root.boot_config()
    root.device(4, "OBS Virtual Camera", writer_format="YU12:1280x720@30")
    root.device(5, "vbg")
    root.process(4242, "obs", "/dev/video4")
    d = run(root)
    assert d.works and d.exit_code == 0
    note = [f for f in d.findings if f.check == "busy"][0]
    assert note.status == "note" and "/dev/video5" in note.fix


def test_vbg_feeding_the_device_itself_is_fine(root: FakeRoot) -> None:
    root.load_module()
    root.boot_config()
    root.device(4, "vbg", writer_format="BGR3:1280x720@30")
    root.process(ME, "vbg", "/dev/video4")
    d = run(root)
    assert d.works and "vbg itself" in [f for f in d.findings if f.check == "busy"][0].text


def test_the_vbg_app_feeding_it_is_not_another_writer(root: FakeRoot) -> None:
    """``vbg doctor`` while the app runs (as ``python -m vbg``): the camera works."""
    root.load_module()
    root.boot_config()
    root.device(4, "vbg", writer_format="BGR3:1280x720@30")
    root.process(777, "python3", "/dev/video4", cmdline="/usr/bin/python3 -m vbg --tray")
    d = run(root)
    assert d.works and d.exit_code == 0
    f = [f for f in d.findings if f.check == "busy"][0]
    assert f.status == "ok" and "python3 (pid 777)" in f.text
    # A python running something else is another writer.
    root.process(888, "python3", "/dev/video4", cmdline="python3 my_filter.py")
    (root.path / "proc/777/fd/3").unlink()
    assert not run(root).works


def test_no_write_permission_names_the_group(root: FakeRoot) -> None:
    root.load_module()
    root.boot_config()
    root.device(4, "vbg", mode=0o660)
    d = run(root, gids=())  # not in the video group
    f = by_check(d)["permissions"]
    assert f.status == "problem" and "/dev/video4" in f.text and "group video" in f.text
    assert f.commands == ('sudo usermod -aG video "$USER"',) and "log out" in f.fix
    assert not d.works


def test_loaded_without_devices(root: FakeRoot) -> None:
    root.load_module()
    d = run(root)
    f = by_check(d)["devices"]
    assert f.status == "problem" and f.commands == vd.RELOAD and d.setup == "reload"
    note = by_check(d)["boot-config"]
    assert note.status == "note" and all("sudo tee" in c for c in note.commands)


def test_container(root: FakeRoot) -> None:
    root.write(".dockerenv", "")
    d = run(root)
    assert by_check(d)["container"].status == "problem" and d.setup is None


def test_json_has_every_finding(root: FakeRoot) -> None:
    root.boot_config()
    data = json.loads(json.dumps(run(root).to_json()))
    assert data["works"] is False and data["setup"] == "load"
    assert [f["check"] for f in data["findings"]] == ["os", "module-available",
                                                      "module-loaded"]
    assert data["findings"][2]["status"] == "problem"
    assert data["commands"] == [f"sudo modprobe v4l2loopback {V4L2LOOPBACK_OPTIONS}"]


def test_windows_and_macos_ask_obs(root: FakeRoot) -> None:
    d = diagnose("win32", root.path, FakeRunner(), probe_obs=lambda: None)
    assert d.works and [f.check for f in d.findings] == ["os", "obs"]
    d = diagnose("darwin", root.path, FakeRunner(),
                 probe_obs=lambda: "'obs' backend: OBS Virtual Camera is not installed")
    f = by_check(d)["obs"]
    assert f.status == "problem" and "not installed" in f.text
    assert "obsproject.com" in f.fix and "System Settings" in f.fix
    assert diagnose("sunos5", root.path, FakeRunner()).exit_code == 1


# ----------------------------------------------------------------------------- --device


def test_device_must_be_a_loopback_device(root: FakeRoot) -> None:
    root.load_module()
    root.device(4, "vbg")
    (root.path / "dev/video0").write_text("")  # a real webcam: not in virtual/video4linux
    assert vd.validate_device("/dev/video4", root.path) == "/dev/video4"
    for bad, words in (("/dev/videoX", "not a video device path"),
                       ("/dev/video9", "does not exist"),
                       ("/dev/video0", "not a virtual camera")):
        with pytest.raises(vd.DoctorInputError) as e:
            vd.validate_device(bad, root.path)
        text = str(e.value)
        assert words in text and "/dev/video4 (“vbg”)" in text and text.count(".") >= 1


# ----------------------------------------------------------------------------- setup


def test_helper_trust_rules(root: FakeRoot) -> None:
    me = os.getuid()
    assert vcam_setup.trusted_helper(root.path, me)[0] is None  # not installed
    h = root.helper()
    assert vcam_setup.trusted_helper(root.path, me)[0] == h
    assert vcam_setup.trusted_helper(root.path, me + 1)[0] is None  # not owned by "root"
    h.chmod(0o775)
    assert "only root can change" in vcam_setup.trusted_helper(root.path, me)[1]
    h.chmod(0o755)
    h.parent.chmod(0o777)  # a folder others can write into
    assert vcam_setup.trusted_helper(root.path, me)[0] is None
    h.parent.chmod(0o755)
    h.unlink()
    h.symlink_to("/bin/sh")
    assert vcam_setup.trusted_helper(root.path, me)[0] is None


def setup_case(root: FakeRoot) -> vd.Diagnosis:
    root.boot_config()
    root.helper()
    d = run(root)
    assert d.setup == "load"
    return d


def test_setup_runs_the_helper_through_pkexec(root: FakeRoot) -> None:
    d = setup_case(root)
    runner = FakeRunner(pkexec=CommandResult(0, 'vbg: the virtual camera "vbg" is ready.\n'))
    out = vcam_setup.run_setup(d, runner, root.path, owner_uid=os.getuid())
    assert runner.calls == [["pkexec", vcam_setup.HELPER]]
    assert out.ran and out.ok and "ready" in out.message and not out.commands


def test_setup_reload_passes_only_the_fixed_flag(root: FakeRoot) -> None:
    root.load_module("N")
    root.device(4, "x")
    root.helper()
    d = run(root)
    runner = FakeRunner(pkexec=CommandResult(0, "vbg: ready\n"))
    vcam_setup.run_setup(d, runner, root.path, owner_uid=os.getuid())
    assert runner.calls == [["pkexec", vcam_setup.HELPER, "--reload"]]


@pytest.mark.parametrize("answer, words", [
    (None, "pkexec is not installed"),
    (CommandResult(126, "", "Error executing command as another user: Request dismissed"),
     "cancelled"),
    (CommandResult(127, "", "Error executing command as another user: No authentication agent "
                            "found."), "No authentication agent"),
])
def test_setup_falls_back_to_the_commands(root: FakeRoot, answer, words) -> None:
    d = setup_case(root)
    runner = FakeRunner() if answer is None else FakeRunner(pkexec=answer)
    out = vcam_setup.run_setup(d, runner, root.path, owner_uid=os.getuid())
    assert not out.ran and not out.ok and words in out.message
    assert out.commands == tuple(d.commands) and out.commands


def test_setup_never_runs_an_untrusted_helper(root: FakeRoot) -> None:
    d = setup_case(root)
    (root.path / "usr/lib/vbg/setup-virtual-camera").chmod(0o777)
    runner = FakeRunner(pkexec=CommandResult(0))
    out = vcam_setup.run_setup(d, runner, root.path, owner_uid=os.getuid())
    assert runner.calls == [] and not out.ran and "won't run it as root" in out.message


def test_setup_failure_shows_what_the_helper_said(root: FakeRoot) -> None:
    d = setup_case(root)
    said = ("vbg: Secure Boot is on and refused the v4l2loopback module.\n"
            "vbg:     sudo mokutil --import /var/lib/dkms/mok.pub\n")
    out = vcam_setup.run_setup(d, FakeRunner(pkexec=CommandResult(1, said)), root.path,
                       owner_uid=os.getuid())
    assert out.ran and not out.ok and "Secure Boot" in out.message and "vbg:" not in out.message
    # Fed back into the diagnosis, the refusal becomes the Secure Boot finding.
    again = run(root, FakeRunner(modinfo=MODINFO, mokutil=SB_ON), load_error=out.message)
    assert by_check(again)["secure-boot"].status == "problem" and again.setup is None
