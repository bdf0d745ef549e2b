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
