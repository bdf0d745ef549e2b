"""Options are declared once and take their defaults from the config dataclasses."""

from __future__ import annotations

from vbg.app.settings import Settings, settings_from_config
from vbg.cli.bench import bench_config
from vbg.cli.main import build_parser
from vbg.cli.options import config_from_args
from vbg.config import CLI_DEFAULTS, DEFAULT_MODEL, AppConfig


def test_no_options_is_exactly_the_cli_defaults() -> None:
    assert config_from_args(build_parser().parse_args([])) == CLI_DEFAULTS
    run = build_parser().parse_args(["run"])
    assert config_from_args(run) == CLI_DEFAULTS


def test_the_cli_defaults_are_the_dataclass_defaults_with_automatic_camera() -> None:
    plain = AppConfig()
    assert CLI_DEFAULTS.capture.source == "auto"
    assert (CLI_DEFAULTS.matting, CLI_DEFAULTS.background, CLI_DEFAULTS.output) == (
        plain.matting, plain.background, plain.output)
    assert CLI_DEFAULTS.matting.model == DEFAULT_MODEL


def test_bench_shares_the_engine_options() -> None:
    bench = build_parser().parse_args(["bench"])
    cfg = bench_config(bench, 640, 480)
    assert cfg.matting == CLI_DEFAULTS.matting and cfg.background == CLI_DEFAULTS.background
    given = build_parser().parse_args(["bench", "--model", "selfie_landscape", "--threads", "2",
                                       "--no-refine", "--provider", "cpu", "-b", "color:#102030"])
    cfg = bench_config(given, 640, 480)
    assert (cfg.matting.model, cfg.matting.threads, cfg.matting.refine,
            cfg.matting.provider) == ("selfie_landscape", 2, False, "cpu")
    assert cfg.background.kind == "color"


def test_fresh_settings_mean_the_same_as_no_options_but_framing() -> None:
    # One deliberate difference: auto-framing is on in a fresh app and off on the command line
    # (docs/architecture.md, "Choices made where the issues were silent").
    from dataclasses import replace

    assert settings_from_config(CLI_DEFAULTS) == replace(Settings(), framing="off")
    assert (CLI_DEFAULTS.output.framing, Settings().framing) == ("off", "auto")
