"""Writing files so that nobody ever sees a half-written one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_output(path: Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO]:
    """Yield a temporary file beside ``path``; when the block ends normally, flush it to disk
    and rename it over ``path``; when it raises, remove the temporary file and re-raise.

    ``path`` therefore holds either its old content or the complete new one, never a part.
    OSError (e.g. an unwritable folder) propagates: callers turn it into their own sentence.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())  # the rename must not land before the data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
