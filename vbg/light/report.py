"""What the light did to a clip (``vbg video --light-report``), measured as in the study
(docs/quality.md, "Light"; tools/light_study.py).

Per frame, on the person (the engine's alpha of the clip being processed): the alpha-weighted
mean of the Rec. 601 luma of the input, of the relit picture and, with a reference clip (the
well-lit original of a darkened clip, frame for frame), of the reference; and the CIE76 ΔE
between the relit picture and the reference where alpha > 0.5. The summary:

- ``restored``: (out − in) / (reference − in) of the clip's means: the share of the lost
  luminance brought back (a darkened clip; the issue asks ≥ 60 %);
- ``steady``: the std of the frame-to-frame change of the person's mean, relit, over the
  reference's (or the input's without one) (≤ 1.5×);
- ``change``: |out − in| / in: what was done to the input's person (for a well-lit clip: ≤ 5 %);
- ``delta_e``: the mean ΔE against the reference on the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


def person_luma(frame: np.ndarray, weight: np.ndarray) -> float:
    """The ``weight``-ed (float32, 0..1) mean of ``frame``'s Rec. 601 luma (NaN: nobody)."""
    total = float(weight.sum())
    if total < 1.0:
        return float("nan")
    luma = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return float(cv2.sumElems(cv2.multiply(luma, weight, dtype=cv2.CV_32F))[0] / total)


def _lab(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)


@dataclass(frozen=True)
class LightSummary:
    frames: int
    mean_in: float
    mean_out: float
    mean_ref: float | None
    restored: float | None
    steady: float
    change: float
    delta_e: float | None

    def text(self) -> str:
        lines = [f"light: {self.frames} frames with a person; person's mean luminance "
                 f"{self.mean_in:.1f} in -> {self.mean_out:.1f} out"
                 + (f" (reference {self.mean_ref:.1f})" if self.mean_ref is not None else ""),
                 f"  change to the input's person: {100 * self.change:.1f} %",
                 f"  steadiness (frame-to-frame change, std) against the "
                 f"{'reference' if self.mean_ref is not None else 'input'}: {self.steady:.2f}x"]
        if self.restored is not None:
            lines.append(f"  lost luminance restored: {100 * self.restored:.0f} %")
        if self.delta_e is not None:
            lines.append(f"  colour error on the person (CIE76 dE): {self.delta_e:.1f}")
        return "\n".join(lines)


@dataclass
class LightMeter:
    """Collects one frame at a time (:meth:`add`), then :meth:`summary`."""

    _in: list[float] = field(default_factory=list)
    _out: list[float] = field(default_factory=list)
    _ref: list[float] = field(default_factory=list)
    _de: list[float] = field(default_factory=list)

    def add(self, frame: np.ndarray, relit: np.ndarray, alpha: np.ndarray,
            reference: np.ndarray | None = None) -> None:
        """``frame``: the input, ``relit``: it after the light step, ``reference``: the
        original of the same frame (same size) or None; ``alpha``: the person, uint8."""
        weight = alpha.astype(np.float32) * (1.0 / 255.0)
        m_in = person_luma(frame, weight)
        if np.isnan(m_in):
            return
        self._in.append(m_in)
        self._out.append(person_luma(relit, weight))
        if reference is not None and reference.shape == frame.shape:
            self._ref.append(person_luma(reference, weight))
            person = alpha > 127
            if person.any():
                ys, xs = np.nonzero(person)
                box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
                p = person[box]
                d = _lab(relit[box])[p] - _lab(reference[box])[p]
                self._de.append(float(np.linalg.norm(d, axis=1).mean()))

    def summary(self) -> LightSummary | None:
        if not self._in:
            return None
        i, o = np.array(self._in), np.array(self._out)
        ref = np.array(self._ref) if len(self._ref) == len(self._in) else None
        base = ref if ref is not None else i
        s_base = float(np.std(np.diff(base))) if len(base) > 1 else 0.0
        s_out = float(np.std(np.diff(o))) if len(o) > 1 else 0.0
        restored = None
        if ref is not None and abs(ref.mean() - i.mean()) > 1e-6:
            restored = float((o.mean() - i.mean()) / (ref.mean() - i.mean()))
        return LightSummary(
            frames=len(i), mean_in=float(i.mean()), mean_out=float(o.mean()),
            mean_ref=float(ref.mean()) if ref is not None else None, restored=restored,
            steady=s_out / s_base if s_base > 0 else float("nan"),
            change=float(abs(o.mean() - i.mean()) / max(i.mean(), 1e-9)),
            delta_e=float(np.mean(self._de)) if self._de else None)
