"""Model adapters: one class per model family's input/output layout.

An adapter turns a BGR uint8 picture at the model's input size into a float32 person
probability of the same size. Families:

- ``sigmoid_nhwc`` (MediaPipe Selfie): input ``[1,H,W,3]`` RGB, output ``[1,H,W,1]`` in [0,1].
- ``sigmoid_nchw`` (our own trained exports): input ``[1,3,H,W]`` RGB, output ``[1,1,H,W]`` in
  [0,1].
- ``softmax2_nchw`` (SINet, PP-HumanSeg): input ``[1,3,H,W]`` RGB, output ``[1,2,H,W]``, class 1 =
  person; raw logits are soft-maxed, outputs that already are probabilities are used as is.

Normalisation is ``(rgb/255 - mean) / std`` from the model's sidecar JSON.

State is plain data passed in and out, as RobustVideoMatting does:
``prob, state = adapter.infer(bgr, state)``. Stateless families return ``None``; a recurrent
family (``vbg.matting.temporal``) returns what it needs next time. The caller keeps one state
per stream of related pictures (per pass of the engine) and passes ``None`` to start afresh.
The family table lives in ``vbg.matting.registry``, which imports every family module.
"""

from __future__ import annotations

from typing import ClassVar, TypeAlias

import cv2
import numpy as np
import onnxruntime as ort

# What a recurrent adapter carries from one call to the next (None = start afresh). For the
# temporal family it is the previous probability, in model-input coordinates.
ModelState: TypeAlias = np.ndarray | None


class Adapter:
    """Base: owns preallocated input/output buffers; ``infer`` is called from one thread."""

    family: ClassVar[str] = ""
    expected: ClassVar[str] = ""  # the signature, in words, for error messages
    stateful: ClassVar[bool] = False  # whether ``infer`` uses and returns a state

    def __init__(self, session: ort.InferenceSession, input_hw: tuple[int, int],
                 mean: tuple[float, float, float], std: tuple[float, float, float]) -> None:
        self.session = session
        self.input_hw = input_hw
        self._in_name = session.get_inputs()[0].name
        self._out_name = session.get_outputs()[0].name
        # Fold /255, mean and std into one scale and offset per channel (cv2 scalars: RGB + 0).
        scale = 1.0 / (255.0 * np.asarray(std, np.float64))
        offset = -np.asarray(mean, np.float64) / np.asarray(std, np.float64)
        self._scale = (*scale.tolist(), 0.0)
        self._offset = (*offset.tolist(), 0.0)
        self._has_offset = any(self._offset)
        # The same scale and offset for every channel (MediaPipe's models and ours): float32
        # scalars, for numpy's cast-and-multiply (see _normalised_hwc).
        uniform = bool(np.all(scale == scale[0]) and np.all(offset == offset[0]))
        self._uniform = (np.float32(scale[0]), np.float32(offset[0])) if uniform else None
        h, w = input_hw
        self._rgb = np.empty((h, w, 3), np.uint8)
        self._hwc = np.empty((h, w, 3), np.float32)

    @classmethod
    def matches(cls, in_shape: list, out_shape: list) -> bool:
        """Whether an ONNX signature (shapes with ints or symbolic names) fits this family."""
        raise NotImplementedError

    @classmethod
    def input_size(cls, in_shape: list) -> tuple[int, int] | None:
        """(H, W) from the input shape, or None when it is symbolic."""
        raise NotImplementedError

    def _normalised_hwc(self, bgr: np.ndarray) -> np.ndarray:
        cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=self._rgb)
        if self._uniform is not None:
            # uint8 -> float32 times one float32 scalar: numpy's SIMD cast-and-multiply,
            # 0.06 ms for 256x256x3 against 0.17-0.22 ms for cv2.multiply with a scalar
            # (docs/benchmarks.md, fifth round).
            scale, offset = self._uniform
            np.multiply(self._rgb, scale, out=self._hwc)
            if offset:
                np.add(self._hwc, offset, out=self._hwc)
            return self._hwc
        # Per-channel scale and offset: cv2 converts and scales in one pass; numpy broadcasting
        # a per-channel array is ~4x slower.
        cv2.multiply(self._rgb, self._scale, dst=self._hwc, dtype=cv2.CV_32F)
        if self._has_offset:
            cv2.add(self._hwc, self._offset, dst=self._hwc)
        return self._hwc

    def infer(self, bgr: np.ndarray, state: ModelState = None
              ) -> tuple[np.ndarray, ModelState]:
        """(person probability, next state) of a BGR input-sized picture: the probability is
        float32, input-sized H×W in [0,1]; stateless families ignore ``state`` and return
        None. Treat both results as read-only (they may share memory)."""
        raise NotImplementedError


def _is_int(v: object) -> bool:
    return isinstance(v, int) and v > 0


class SigmoidNHWC(Adapter):
    family = "sigmoid_nhwc"
    expected = "input [1,H,W,3] (RGB) and output [1,H,W,1] (person probability)"

    @classmethod
    def matches(cls, in_shape: list, out_shape: list) -> bool:
        return len(in_shape) == 4 and in_shape[3] == 3 and len(out_shape) == 4 and (
            out_shape[3] == 1
        )

    @classmethod
    def input_size(cls, in_shape: list) -> tuple[int, int] | None:
        h, w = in_shape[1], in_shape[2]
        return (h, w) if _is_int(h) and _is_int(w) else None

    def infer(self, bgr: np.ndarray, state: ModelState = None
              ) -> tuple[np.ndarray, ModelState]:
        x = self._normalised_hwc(bgr)[None]
        out = self.session.run([self._out_name], {self._in_name: x})[0]
        return out[0, :, :, 0], None


class _NCHW(Adapter):
    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        h, w = self.input_hw
        self._chw = np.empty((1, 3, h, w), np.float32)

    @classmethod
    def input_size(cls, in_shape: list) -> tuple[int, int] | None:
        h, w = in_shape[2], in_shape[3]
        return (h, w) if _is_int(h) and _is_int(w) else None

    def _run(self, bgr: np.ndarray) -> np.ndarray:
        self._chw[0] = self._normalised_hwc(bgr).transpose(2, 0, 1)
        return self.session.run([self._out_name], {self._in_name: self._chw})[0]


class SigmoidNCHW(_NCHW):
    family = "sigmoid_nchw"
    expected = "input [1,3,H,W] (RGB) and output [1,1,H,W] (person probability)"

    @classmethod
    def matches(cls, in_shape: list, out_shape: list) -> bool:
        return len(in_shape) == 4 and in_shape[1] == 3 and len(out_shape) == 4 and (
            out_shape[1] == 1
        )

    def infer(self, bgr: np.ndarray, state: ModelState = None
              ) -> tuple[np.ndarray, ModelState]:
        return self._run(bgr)[0, 0], None


class Softmax2NCHW(_NCHW):
    family = "softmax2_nchw"
    expected = "input [1,3,H,W] (RGB) and output [1,2,H,W] (background, person)"

    @classmethod
    def matches(cls, in_shape: list, out_shape: list) -> bool:
        return len(in_shape) == 4 and in_shape[1] == 3 and len(out_shape) == 4 and (
            out_shape[1] == 2
        )

    def infer(self, bgr: np.ndarray, state: ModelState = None
              ) -> tuple[np.ndarray, ModelState]:
        out = self._run(bgr)[0]
        bg, fg = out[0], out[1]
        # Already probabilities (a softmax inside the graph)? Then use them directly.
        already_probabilities = (float(bg.min()) >= 0.0 and float(fg.max()) <= 1.0
                                 and abs(float((bg + fg).mean()) - 1) < 1e-3)
        if already_probabilities:
            return fg, None
        # Two-class softmax of logits = sigmoid of their difference (numerically stable).
        return (1.0 / (1.0 + np.exp(bg - fg))).astype(np.float32), None
