"""The contract every output follows.

A sink is a thin facade over one destination (a virtual camera, a file), in the spirit of
pyvirtualcam's backends:

- The constructor opens the destination or raises :class:`~vbg.errors.OutputError` with one
  sentence the user can act on, before any frame is processed.
- ``send(frame)`` takes a C-contiguous uint8 array at the sink's size: BGR H×W×3 (a mask sink:
  H×W). A wrong shape is a programming error and raises ``ValueError``. The sink does not keep
  a reference to ``frame`` after returning unless it says otherwise, so the caller may reuse
  the buffer.
- ``close()`` is guaranteed by the pipeline to be called exactly once, also after an error,
  and after it no other method is called. Implementations still make it idempotent, so a
  stray second call is harmless.
- All calls come from one thread (the pipeline's output thread); sinks need no locking of
  their own.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Sink"]


@runtime_checkable
class Sink(Protocol):
    """Where composited frames go; see the module docstring for the contract."""

    def send(self, frame: np.ndarray) -> None:
        """Deliver one frame (uint8, at the sink's size)."""
        ...

    def close(self) -> None:
        """Release the destination; called exactly once by the pipeline."""
        ...
