"""``vbg bench`` run end to end on the generated demo source (real model, real pipeline)."""

from __future__ import annotations

import json
import time

import pytest

from tests.cli.console import run
from vbg.cli import bench
from vbg.sinks.recording_backend import RecordingBackend


@pytest.fixture(autouse=True)
def _recorder_restored(monkeypatch):
    """The bench makes the in-process virtual camera keep one frame (class-wide); the tests
    after these need it to keep its usual ring again."""
    monkeypatch.setattr(RecordingBackend, "max_frames", RecordingBackend.max_frames)


class _BenchClock:
    """``vbg.cli.bench``'s view of time: its monotonic clock moves only by what it slept (for
    real, so the pipeline runs meanwhile); CPU time and perf_counter are the real ones."""

    process_time, perf_counter = staticmethod(time.process_time), staticmethod(time.perf_counter)

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
        self.now += seconds


def test_bench_reports_what_the_paced_threaded_pipeline_costs(capsys, monkeypatch):
    monkeypatch.setattr(bench, "time", _BenchClock())
    code, out, _ = run(capsys, "bench", "--source", "demo", "--size", "320x180", "--frames", "5",
                       "--latency-seconds", "1.5", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["machine"]["cpu"]  # which CPU the numbers are from
    (result,) = report["runs"]
    paced = result["paced"]
    # The demo is paced at 30 fps: 1.5 s after the warm-up hold some 45 composites; a counter
    # that never moved (or counted every output repeat twice) lands far outside this.
    assert 15 <= paced["frames_processed"] <= 60
    assert paced["seconds"] == 1.5  # the latency window on the bench's clock, as asked
    # CPU of real work: more than nothing, less than two whole cores' worth of each frame slot.
    assert 0.1 < paced["cpu_ms_per_frame"] < 2 * 1e3 / 30
    assert 0.0 < paced["core_share"] < 2.0
    assert paced["core_share"] == pytest.approx(
        paced["cpu_ms_per_frame"] * paced["frames_processed"] / 1e3 / paced["seconds"])
    assert result["frame_interval_ms"] == 1e3 / 30


def test_bench_table_says_what_a_call_costs(capsys):
    code, out, _ = run(capsys, "bench", "--source", "demo", "--size", "320x180", "--frames", "3",
                       "--latency-seconds", "1")
    assert code == 0
    line = next(ln for ln in out.splitlines() if ln.strip().startswith("in a call"))
    assert "ms CPU per frame" in line and "% of a core" in line


def test_camera_like_paces_the_mjpg_replay_in_the_call_run_too(capsys):
    code, out, _ = run(capsys, "bench", "--source", "demo", "--size", "320x180", "--frames", "3",
                       "--latency-seconds", "1", "--camera-like", "--json")
    assert code == 0
    (result,) = json.loads(out)["runs"]
    assert "as MJPG" in result["source"] and "as MJPG" in result["paced"]["source"]
    # Paced like a camera: about 30 frames in the second, not as many as it can decode.
    assert 10 <= result["paced"]["frames_processed"] <= 40


def test_the_report_names_the_cpu(tmp_path):
    from vbg.cli.bench import cpu_model

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
                    "flags\t\t: fpu sse sse2 avx avx2 fma\n\nprocessor\t: 1\n"
                    "model name\t: AMD EPYC 7B13\nflags\t\t: fpu avx2\n")
    assert cpu_model(str(info)) == "AMD EPYC 7B13 (AVX2, no AVX-512)"
    info.write_text("model name\t: Intel(R) Xeon(R) Platinum 8481C\n"
                    "flags\t: avx2 avx512f avx512_vnni\n")
    assert cpu_model(str(info)) == "Intel(R) Xeon(R) Platinum 8481C (AVX-512)"
    # No /proc (macOS, Windows): still a name, never a crash.
    assert cpu_model(str(tmp_path / "missing"))
