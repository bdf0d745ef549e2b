"""The .deb's scripts, run from the source tree without building anything: the launcher, the
maintainer scripts (into a temporary root through ``DPKG_ROOT``, as ``dpkg --root`` runs them)
and the virtual-camera setup helper with stand-in commands for modprobe & co."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.packaging.conftest import LINUX
from vbg.sinks.virtualcam import V4L2LOOPBACK_OPTIONS

pytestmark = pytest.mark.packaging

MODPROBE_D = "etc/modprobe.d/vbg.conf"
MODULES_LOAD_D = "etc/modules-load.d/vbg.conf"


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


# ----------------------------------------------------------------------------- config files


def test_module_options_match_what_the_app_recommends() -> None:
    """One set of v4l2loopback options everywhere: the error message, the boot config, the
    setup helper."""
    conf = (LINUX / "modprobe.conf").read_text()
    assert f"options v4l2loopback {V4L2LOOPBACK_OPTIONS}\n" in conf
    assert "exclusive_caps=1" in V4L2LOOPBACK_OPTIONS and "card_label=vbg" in V4L2LOOPBACK_OPTIONS
    lines = [ln for ln in (LINUX / "modules-load.conf").read_text().splitlines()
             if ln and not ln.startswith("#")]
    assert lines == ["v4l2loopback"]
    assert f'OPTIONS="{V4L2LOOPBACK_OPTIONS}"' in (LINUX / "setup-virtual-camera.sh").read_text()


def test_desktop_entry_is_valid() -> None:
    tool = shutil.which("desktop-file-validate")
    assert tool, "desktop-file-validate is missing: apt-get install desktop-file-utils"
    r = run([tool, str(LINUX / "vbg.desktop")])
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
    text = (LINUX / "vbg.desktop").read_text()
    assert "\nExec=vbg\n" in text and "\nIcon=vbg\n" in text


# ----------------------------------------------------------------------------- launcher


def fake_root(tmp_path: Path) -> Path:
    """<root>/usr/bin/vbg (the real launcher) and a <root>/opt/vbg/vbg that prints its
    arguments, one per line."""
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    (root / "opt/vbg").mkdir(parents=True)
    shutil.copy(LINUX / "launcher.sh", root / "usr/bin/vbg")
    (root / "usr/bin/vbg").chmod(0o755)
    fake = root / "opt/vbg/vbg"
    fake.write_text('#!/bin/sh\necho "bundle: $0"\nfor a in "$@"; do echo "arg: $a"; done\n')
    fake.chmod(0o755)
    return root


def test_launcher_passes_every_argument_through(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    r = run([str(root / "usr/bin/vbg"), "--selftest", "two words", "", "$HOME", "-b", "a*b"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        f"bundle: {root.resolve()}/opt/vbg/vbg",
        "arg: --selftest", "arg: two words", "arg: ", "arg: $HOME", "arg: -b", "arg: a*b",
    ]


def test_launcher_found_through_a_symlink_and_path(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "vbg").symlink_to(root / "usr/bin/vbg")
    r = run(["vbg", "--version"], env={"PATH": f"{bindir}:{os.environ['PATH']}"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == f"bundle: {root.resolve()}/opt/vbg/vbg"


def test_installed_launcher_runs_opt_vbg() -> None:
    """Installed as /usr/bin/vbg the launcher execs exactly /opt/vbg/vbg."""
    text = (LINUX / "launcher.sh").read_text()
    assert 'exec "$root/opt/vbg/vbg" "$@"' in text
    # With the file at /usr/bin/vbg, root is empty: the path is /opt/vbg/vbg.
    r = run(["sh", "-c", 'self=/usr/bin/vbg; root=${self%/usr/bin/*}; echo "[$root]"'])
    assert r.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- maintainer scripts


def maintainer(script: str, action: str, root: Path, *args: str) -> subprocess.CompletedProcess:
    return run(["sh", str(LINUX / "debian" / script), action, *args],
               env={"DPKG_ROOT": str(root)})


@pytest.fixture
def dpkg_root(tmp_path: Path) -> Path:
    """A root with the package's templates unpacked, as after dpkg unpacked the files."""
    root = tmp_path / "root"
    (root / "usr/share/vbg").mkdir(parents=True)
    shutil.copy(LINUX / "modprobe.conf", root / "usr/share/vbg/modprobe.conf")
    shutil.copy(LINUX / "modules-load.conf", root / "usr/share/vbg/modules-load.conf")
    return root


def test_postinst_writes_the_boot_config_and_does_not_touch_the_host(dpkg_root: Path) -> None:
    r = maintainer("postinst", "configure", dpkg_root)
    assert r.returncode == 0, r.stderr
    assert (dpkg_root / MODPROBE_D).read_text() == (LINUX / "modprobe.conf").read_text()
    assert (dpkg_root / MODULES_LOAD_D).read_text() == (LINUX / "modules-load.conf").read_text()
    assert oct((dpkg_root / MODPROBE_D).stat().st_mode & 0o777) == "0o644"
    assert "next boot" in r.stdout  # into another root: nothing is loaded on this machine


def test_remove_takes_back_unedited_config_and_keeps_edited(dpkg_root: Path) -> None:
    maintainer("postinst", "configure", dpkg_root)
    edited = dpkg_root / MODPROBE_D
    edited.write_text(edited.read_text() + "options v4l2loopback video_nr=9\n")
    r = maintainer("prerm", "remove", dpkg_root)
    assert r.returncode == 0, r.stderr
    assert not (dpkg_root / MODULES_LOAD_D).exists()
    assert edited.exists() and "keeping" in r.stdout
    r = maintainer("postrm", "remove", dpkg_root)
    assert r.returncode == 0 and edited.exists()
    r = maintainer("postrm", "purge", dpkg_root)
    assert r.returncode == 0 and not edited.exists()


def test_upgrade_refreshes_unedited_config(dpkg_root: Path) -> None:
    maintainer("postinst", "configure", dpkg_root)
    # The new version's template differs; the old, unedited copy is replaced by it.
    new = dpkg_root / "usr/share/vbg/modprobe.conf"
    assert maintainer("prerm", "upgrade", dpkg_root, "0.2.0").returncode == 0
    new.write_text(new.read_text() + "# new in 0.2.0\n")
    assert maintainer("postinst", "configure", dpkg_root, "0.1.0").returncode == 0
    assert (dpkg_root / MODPROBE_D).read_text().endswith("# new in 0.2.0\n")


def test_maintainer_scripts_reject_unknown_actions(dpkg_root: Path) -> None:
    for script in ("postinst", "prerm", "postrm"):
        assert maintainer(script, "bogus", dpkg_root).returncode != 0


# ----------------------------------------------------------------------------- setup helper

needs_no_loaded_module = pytest.mark.skipif(
    Path("/sys/module/v4l2loopback").exists(),
    reason="v4l2loopback is loaded on this machine: the helper reports that instead")


def stub(bindir: Path, name: str, body: str) -> None:
    f = bindir / name
    f.write_text("#!/bin/sh\n" + body + "\n")
    f.chmod(0o755)


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    """Stand-ins for the commands the helper calls; tests override the ones they vary."""
    bindir = tmp_path / "stubs"
    bindir.mkdir()
    stub(bindir, "uname", 'echo "0.0.0-vbgtest"')  # no /lib/modules/<this>/build exists
    stub(bindir, "systemd-detect-virt", "exit 1")  # not a container
    stub(bindir, "mokutil", 'echo "SecureBoot disabled"')
    stub(bindir, "dpkg-query", 'echo "install ok installed"')
    stub(bindir, "modinfo", "exit 0")
    stub(bindir, "modprobe", f'echo "$@" > "{tmp_path}/modprobe.args"; exit 0')
    return bindir


SYSTEM_PATH = "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"


def helper_with_stubs(bindir: Path) -> Path:
    """The helper as shipped, but with its own PATH line putting ``bindir``'s stand-ins first:
    the shipped helper ignores the caller's PATH (see the test below), so that line is the only
    way in."""
    text = (LINUX / "setup-virtual-camera.sh").read_text()
    assert text.count(SYSTEM_PATH) == 1
    copy = bindir.parent / "setup-virtual-camera.sh"
    copy.write_text(text.replace(SYSTEM_PATH, f"PATH={bindir}:/usr/sbin:/usr/bin:/sbin:/bin\n"))
    return copy


def setup_camera(bindir: Path, *args: str) -> subprocess.CompletedProcess:
    return run(["/bin/sh", str(helper_with_stubs(bindir)), *args], env={"PATH": "/nonexistent"})


def test_the_helper_sets_its_own_path_before_running_anything() -> None:
    """A privilege boundary must not run a command found through its caller's PATH: the
    system's folders are set before the first command (argument checks use only builtins)."""
    lines = [line.strip() for line in
             (LINUX / "setup-virtual-camera.sh").read_text().splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    assert code[0] + "\n" == SYSTEM_PATH and code[1] == "export PATH"
    assert all(d.startswith("/") and "local" not in d
               for d in SYSTEM_PATH.strip().split("=", 1)[1].split(":"))


@needs_no_loaded_module
def test_setup_loads_the_module_with_vbgs_options(stubs: Path, tmp_path: Path) -> None:
    r = setup_camera(stubs)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ready" in r.stdout
    assert (tmp_path / "modprobe.args").read_text().split() == [
        "v4l2loopback", *V4L2LOOPBACK_OPTIONS.split()]


@needs_no_loaded_module
def test_setup_says_to_install_the_module(stubs: Path) -> None:
    stub(stubs, "modinfo", "exit 1")
    stub(stubs, "dpkg-query", "exit 1")
    r = setup_camera(stubs)
    assert r.returncode == 1
    assert "sudo apt install v4l2loopback-dkms" in r.stdout


@needs_no_loaded_module
def test_setup_names_the_missing_kernel_headers(stubs: Path) -> None:
    stub(stubs, "modinfo", "exit 1")
    r = setup_camera(stubs)
    assert r.returncode == 1
    assert "headers" in r.stdout
    assert "sudo apt install linux-headers-0.0.0-vbgtest" in r.stdout
    assert "dpkg-reconfigure v4l2loopback-dkms" in r.stdout


@needs_no_loaded_module
def test_setup_explains_secure_boot(stubs: Path) -> None:
    stub(stubs, "modprobe", "echo \"modprobe: ERROR: could not insert 'v4l2loopback': "
                            "Key was rejected by service\" >&2; exit 1")
    r = setup_camera(stubs)
    assert r.returncode == 1
    assert "Secure Boot" in r.stdout
    assert "mokutil --import /var/lib/dkms/mok.pub" in r.stdout


@needs_no_loaded_module
def test_setup_explains_secure_boot_from_mokutil(stubs: Path) -> None:
    stub(stubs, "modprobe", "echo 'modprobe: ERROR: could not insert: Operation not permitted'"
                            " >&2; exit 1")
    stub(stubs, "mokutil", 'echo "SecureBoot enabled"')
    r = setup_camera(stubs)
    assert r.returncode == 1 and "Secure Boot" in r.stdout


@needs_no_loaded_module
def test_setup_asks_for_root(stubs: Path) -> None:
    stub(stubs, "modprobe", "echo 'modprobe: ERROR: could not insert: Operation not permitted'"
                            " >&2; exit 1")
    r = setup_camera(stubs)
    assert r.returncode == 1 and "sudo /usr/lib/vbg/setup-virtual-camera" in r.stdout


@needs_no_loaded_module
def test_setup_in_a_container_points_to_the_host(stubs: Path) -> None:
    stub(stubs, "systemd-detect-virt", "exit 0")
    stub(stubs, "modprobe", "echo must not be called >&2; exit 99")
    r = setup_camera(stubs)
    assert r.returncode == 1
    assert "container" in r.stdout and f"modprobe v4l2loopback {V4L2LOOPBACK_OPTIONS}" in r.stdout


def test_setup_takes_no_input_but_reload(stubs: Path, tmp_path: Path) -> None:
    """A privilege boundary: anything but the fixed flag is refused before any command."""
    stub(stubs, "modprobe", f'echo "$@" >> "{tmp_path}/modprobe.args"; exit 0')
    for args in (["--reload", "extra"], ["devices=9"], ["; reboot"], [""]):
        r = setup_camera(stubs, *args)
        assert r.returncode == 2 and "no arguments except --reload" in r.stdout, args
    assert not (tmp_path / "modprobe.args").exists()


@needs_no_loaded_module
def test_setup_reload_loads_with_vbgs_options(stubs: Path, tmp_path: Path) -> None:
    """Not loaded here, so --reload just loads (the unload step needs a loaded module)."""
    r = setup_camera(stubs, "--reload")
    assert r.returncode == 0, r.stdout + r.stderr
    assert (tmp_path / "modprobe.args").read_text().split() == [
        "v4l2loopback", *V4L2LOOPBACK_OPTIONS.split()]


def test_polkit_action_names_the_installed_helper() -> None:
    """The action pkexec matches by the helper's path (what the app runs), asks for an admin
    password, and is what build_deb installs."""
    import xml.etree.ElementTree as ET

    from vbg.app.vcam import setup as vcam_setup

    policy = LINUX / f"{vcam_setup.POLKIT_ACTION}.policy"
    tree = ET.parse(policy)
    action = tree.getroot().find("action")
    assert action is not None and action.get("id") == vcam_setup.POLKIT_ACTION
    annotations = {a.get("key"): a.text for a in action.findall("annotate")}
    assert annotations["org.freedesktop.policykit.exec.path"] == vcam_setup.HELPER
    assert "vbg" in (action.findtext("message") or "")
    defaults = action.find("defaults")
    assert defaults is not None
    assert {d.tag: d.text for d in defaults} == {"allow_any": "auth_admin",
                                                 "allow_inactive": "auth_admin",
                                                 "allow_active": "auth_admin"}
    build = (LINUX / "build_deb.py").read_text()
    assert f'POLKIT_ACTION = "{vcam_setup.POLKIT_ACTION}"' in build
    assert "usr/share/polkit-1/actions/" in build
