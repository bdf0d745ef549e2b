"""Adapter for the temporal family: our models that also take the previous alpha.

``temporal_nchw``: input ``[1,4,H,W]`` float32 — RGB normalised ``(x/255-mean)/std`` in
channels 0-2 and the previous output alpha in [0,1] in channel 3; output ``[1,1,H,W]`` person
probability. The adapter keeps its last output as state (zeros at start and after
``reset()``), like RobustVideoMatting's recurrent state but kept inside the adapter so the
engine needs no change. The state is in model-input coordinates: run such a model on the full
frame (``focus`` off), or call ``reset()`` whenever the region fed to it changes. No torch here.
"""

from __future__ import annotations

import numpy as np

from vbg.matting.adapters import _NCHW


class TemporalNCHW(_NCHW):
    family = "temporal_nchw"
    expected = ("input [1,4,H,W] (RGB + previous alpha) and output [1,1,H,W] (person "
                "probability)")

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        h, w = self.input_hw
        self._chw = np.zeros((1, 4, h, w), np.float32)  # replaces the 3-channel buffer
        self._prev = np.zeros((h, w), np.float32)

    @classmethod
    def matches(cls, in_shape: list, out_shape: list) -> bool:
        return len(in_shape) == 4 and in_shape[1] == 4 and len(out_shape) == 4 and (
            out_shape[1] == 1
        )

    def reset(self) -> None:
        """Forget the previous alpha (a cut, a camera switch, someone new)."""
        self._prev[:] = 0.0

    @property
    def previous(self) -> np.ndarray:
        """The alpha that will be fed with the next frame (a copy)."""
        return self._prev.copy()

    def infer(self, bgr: np.ndarray) -> np.ndarray:
        self._chw[0, :3] = self._normalised_hwc(bgr).transpose(2, 0, 1)
        self._chw[0, 3] = self._prev
        out = self.session.run([self._out_name], {self._in_name: self._chw})[0][0, 0]
        np.clip(out, 0.0, 1.0, out=self._prev)
        return out
