"""Adapter for the temporal family: our models that also take the previous alpha.

``temporal_nchw``: input ``[1,4,H,W]`` float32 — RGB normalised ``(x/255-mean)/std`` in
channels 0-2 and the previous output alpha in [0,1] in channel 3; output ``[1,1,H,W]`` person
probability. The recurrent state is plain data passed in and out, as in RobustVideoMatting:
``prob, state = adapter.infer(bgr, state)``; ``state`` is the previous probability in
model-input coordinates (None, or one of another size, = empty: a cold start). The adapter
itself holds no state, so one adapter serves any number of streams (the engine keeps one state
per pass: focused crop, mirrored pass, full-frame detection pass). No torch here.
"""

from __future__ import annotations

import numpy as np

from vbg.matting.adapters import _NCHW, ModelState


class TemporalNCHW(_NCHW):
    family = "temporal_nchw"
    expected = ("input [1,4,H,W] (RGB + previous alpha) and output [1,1,H,W] (person "
                "probability)")
    stateful = True

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        h, w = self.input_hw
        self._chw = np.zeros((1, 4, h, w), np.float32)  # replaces the 3-channel buffer

    @classmethod
    def matches(cls, in_shape: list, out_shape: list) -> bool:
        return len(in_shape) == 4 and in_shape[1] == 4 and len(out_shape) == 4 and (
            out_shape[1] == 1
        )

    def infer(self, bgr: np.ndarray, state: ModelState = None
              ) -> tuple[np.ndarray, ModelState]:
        """(probability, next state); the next state is the probability itself (clipped to
        [0,1]), so keep both read-only."""
        self._chw[0, :3] = self._normalised_hwc(bgr).transpose(2, 0, 1)
        if state is None or state.shape != self.input_hw:
            self._chw[0, 3] = 0.0
        else:
            self._chw[0, 3] = state
        out = self.session.run([self._out_name], {self._in_name: self._chw})[0][0, 0]
        np.clip(out, 0.0, 1.0, out=out)
        return out, out
