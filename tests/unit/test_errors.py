"""errors.clause: a user's sentence placed after a colon inside another sentence."""

from __future__ import annotations

import pytest

from vbg.errors import SourceError, clause


@pytest.mark.parametrize("message, expected", [
    ("The file /x.jpg does not exist; check the path.",
     "the file /x.jpg does not exist; check the path."),
    ("A video file can't be read.", "a video file can't be read."),
    ("OBS Virtual Camera is busy.", "OBS Virtual Camera is busy."),      # an acronym stays
    ("/dev/video2 is not a loopback.", "/dev/video2 is not a loopback."),  # a path stays
    ("PyAV is missing.", "PyAV is missing."),                            # a name with capitals
    ("", ""),
])
def test_clause_lowers_only_an_ordinary_first_word(message: str, expected: str) -> None:
    assert clause(SourceError(message)) == expected
