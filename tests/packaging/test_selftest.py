"""``vbg --selftest`` from the source tree (the frozen one is run in test_bundle_and_deb.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from vbg import resources
from vbg.cli import selftest
from vbg.cli.main import main
from vbg.sinks.recording_backend import RecordingBackend, register_recording_backend

pytestmark = pytest.mark.packaging


def test_selftest_passes_and_reports_each_check(recording_backend) -> None:  # noqa: ANN001
    out = io.StringIO()
    assert selftest.run_selftest(out) == selftest.EXIT_OK, out.getvalue()
    text = out.getvalue()
    assert "[ ok ] pipeline:" in text and "after process start" in text
    assert "[ ok ] frame size: all" in text and "640x360" in text
    for info in resources.models_dir().glob("*.onnx"):
        assert f"[ ok ] model {info.stem}:" in text
    assert "[ ok ] desktop app:" in text
    # No v4l2loopback in CI: reported with the fix, not a failure.
    assert "virtual camera:" in text
    assert text.rstrip().endswith("self-test passed")


def test_cli_flag_runs_it(capsys: pytest.CaptureFixture[str], recording_backend) -> None:  # noqa: ANN001
    assert main(["--selftest"]) == 0
    assert "self-test passed" in capsys.readouterr().out


def test_missing_virtual_camera_is_reported_with_the_fix_not_failed(recording_backend) -> None:  # noqa: ANN001
    # The recording backend is registered (as in the pipeline check): it must not stand in for
    # the real virtual camera when the OS default is asked for.
    register_recording_backend()
    before = len(RecordingBackend.instances)
    check = selftest.check_virtual_camera()
    assert len(RecordingBackend.instances) == before
    assert not check.failed
    if check.status == "info":
        # One short line that points to the doctor, not the sink's whole modprobe advice.
        assert check.detail.startswith("missing - ")
        assert "vbg doctor" in check.detail and "modprobe" not in check.detail
        assert "\n" not in check.detail and len(check.line()) < 120
    else:
        assert check.status == "ok" and "vbg-recording" not in check.detail


def test_no_models_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(resources, "models_dir", lambda: tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # no user models either
    checks = selftest.check_models()
    assert [c.status for c in checks] == ["FAIL"]
    assert "no bundled model" in checks[0].detail


def test_broken_model_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "broken.onnx").write_bytes(b"not an onnx file")
    monkeypatch.setattr(resources, "models_dir", lambda: tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    checks = selftest.check_models()
    assert len(checks) == 1 and checks[0].failed and checks[0].name == "model broken"


def test_a_failing_check_fails_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> list[selftest.Check]:
        raise RuntimeError("exploded")

    monkeypatch.setattr(selftest, "check_pipeline", boom)
    monkeypatch.setattr(selftest, "check_models", lambda: [selftest.Check("models", "ok", "")])
    monkeypatch.setattr(selftest, "check_desktop", lambda: selftest.Check("desktop", "skip", ""))
    monkeypatch.setattr(selftest, "check_virtual_camera",
                        lambda: selftest.Check("virtual camera", "info", "missing - x"))
    out = io.StringIO()
    assert selftest.run_selftest(out) == selftest.EXIT_FAILED
    assert "[FAIL] pipeline: crashed (RuntimeError: exploded)" in out.getvalue()
    assert "self-test FAILED: pipeline" in out.getvalue()


def test_process_age_is_plausible() -> None:
    age, reference = selftest.process_age_s()
    assert 0 <= age < 3600
    assert reference in ("process start", "self-test start")


def test_missing_virtual_camera_line_keeps_the_reason_short() -> None:
    long = ("No virtual camera found: install v4l2loopback (package v4l2loopback-dkms) and "
            "load it with `sudo modprobe v4l2loopback devices=1`; then retry. [backend: x]")
    assert selftest._missing(long) == (
        "missing - No virtual camera found; `vbg doctor` gives the fix for this machine.")
    assert selftest._missing("boom", "RuntimeError: ").startswith("missing - RuntimeError: boom;")
