"""What ``apply(old, new)`` rebuilds, checked without running anything."""

from __future__ import annotations

from dataclasses import replace

from vbg.config import AppConfig, BackgroundConfig
from vbg.pipeline.plan import ApplyPlan, plan_apply

OLD = AppConfig()


def with_(section: str, **changes) -> AppConfig:
    return replace(OLD, **{section: replace(getattr(OLD, section), **changes)})


def test_same_config_rebuilds_nothing():
    assert plan_apply(OLD, replace(OLD)).empty


def test_model_file_threads_provider_or_fit_load_a_new_model():
    for change in ({"model": "selfie_landscape"}, {"threads": 2}, {"provider": "cpu"},
                   {"fit": "letterbox"}):
        plan = plan_apply(OLD, with_("matting", **change))
        assert plan == ApplyPlan(load_model=True), change


def test_other_matting_knobs_reconfigure_the_running_engine():
    assert plan_apply(OLD, with_("matting", smoothing=False)) == ApplyPlan(
        configure_matting=True)


def test_a_background_rebuilds_the_compositor():
    red = replace(OLD, background=BackgroundConfig.parse("color:#FF0000"))
    assert plan_apply(OLD, red) == ApplyPlan(rebuild_compositor=True)


def test_mirror_only_tells_the_capture_stage():
    # The capture stage flips the frames; the compositor does not mirror, so nothing is rebuilt.
    plan = plan_apply(OLD, with_("output", mirror=True))
    assert plan == ApplyPlan(mirror=True) and not plan.empty


def test_capture_changes_reopen_the_source_and_a_size_change_the_outputs_too():
    assert plan_apply(OLD, with_("capture", source="demo")) == ApplyPlan(reopen_capture=True)
    assert plan_apply(OLD, with_("capture", width=640, height=360)) == ApplyPlan(
        reopen_capture=True, restart_output=True)


def test_output_rate_device_and_recordings_restart_the_output():
    for change in ({"fps": 15.0}, {"vcam": False}, {"vcam_device": "/dev/video9"},
                   {"vcam_backend": "obs"}, {"record": "out.mp4"}, {"record_mask": "m.mkv"}):
        assert plan_apply(OLD, with_("output", **change)) == ApplyPlan(restart_output=True), \
            change
