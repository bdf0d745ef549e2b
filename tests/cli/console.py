"""Running ``vbg.cli.main.main`` in-process and reading what it said, for the CLI tests."""

from __future__ import annotations

from vbg.cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``vbg ARGV...``; return its exit status, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> str:
    """The one ``vbg: ...`` line on stderr (fails when there is none, several, or a traceback)."""
    lines = [line for line in err.strip().splitlines() if line.startswith("vbg: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def parser_error(capsys, *argv: str) -> str:
    """Run ``vbg ARGV...``, which the argument parser must refuse (exit status 2, no
    traceback); its one ``error:`` line."""
    import pytest

    with pytest.raises(SystemExit) as done:
        main(list(argv))
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    return errors[0]


# Light options the commands refuse in one sentence (test_light_cli, test_light_image_cli).
BAD_LIGHT_OPTIONS = [("--light", "bright"), ("--light-match", "2"), ("--light-match", "-1"),
                     ("--light-match", "nan")]
