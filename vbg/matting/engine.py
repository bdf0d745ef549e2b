"""The mask engine: frame in, full-resolution alpha out.

Per frame: shrink the frame to a small "working" resolution (the whole picture), pick a
region (person-focused crop or full frame), fit the region into the model input and run it,
paste the result back into a working-resolution alpha, smooth it over time where the picture is
still, then upsample it to full resolution guided by the frame so the edge follows hair and
shoulders. Everything at full resolution is uint8/cv2; float32 only at working size.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from vbg.config import MattingConfig
from vbg.matting.adapters import ModelState
from vbg.matting.fitting import fit_into, unfit
from vbg.matting.focus import FULL, Region, RegionTracker, person_region
from vbg.matting.matte import curves_for
from vbg.matting.refine import GuidedUpsampler, upsample_plain
from vbg.matting.registry import LoadedModel
from vbg.matting.smoothing import TemporalSmoother
from vbg.matting.stillness import StillnessGate

VIDEO_WORKING_SIDE = 320
STILL_WORKING_SIDE = 1024


# A recurrent model's state is kept while its pass's region overlaps the last one at least
# this much (intersection over union); the temporal model is trained on previous masks moved
# by up to ~10%, and a bigger jump is better met by a cold start.
STATE_KEEP_OVERLAP = 0.8


def _overlap(a: Region, b: Region) -> float:
    """Intersection over union of two regions."""
    iw = max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
    ih = max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0))
    inter = iw * ih
    union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter
    return inter / union if union > 0 else 0.0


def working_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(w, h) with the frame's aspect and the given long side (never larger than the frame)."""
    s = min(1.0, long_side / max(width, height))
    return max(2, round(width * s)), max(2, round(height * s))


class MaskEngine:
    """Turns frames into alpha masks. Not thread-safe: one engine per worker thread.

    ``process`` (video) uses tracking and temporal smoothing; ``process_still`` (photos) uses a
    full-frame pass to find the person, then a focused pass, optionally averaged with a
    mirrored pass. Both return a uint8 H×W alpha (255 = person) in a buffer the engine owns and
    reuses on the next call; copy it to keep it. ``timings`` holds the last call's stage times
    in ms. ``frame_half`` / ``alpha_half`` hand the half-size frame and alpha it made anyway to
    ``Compositor.compose``, which then needn't shrink the full-size pictures again.

    With ``reuse_still`` (video only) the last mask is returned again, without running the
    model, while the person's region is still (``vbg.matting.stillness``): never on a detection
    pass, never where anything moved, at least one run every five frames. ``last_reused`` says
    whether the last call did so; ``frames`` / ``reused`` count them.
    """

    def __init__(self, model: LoadedModel, cfg: MattingConfig,
                 working_side: int = VIDEO_WORKING_SIDE, reuse_still: bool = True) -> None:
        self.model = model
        self.working_side = working_side
        self.timings: dict[str, float] = {}
        # Video: skip the model while the person's region is still (vbg.matting.stillness).
        self.reuse_still = reuse_still
        self.gate = StillnessGate()
        self.frames = 0  # video frames processed
        self.reused = 0  # of which the previous mask was reused
        self.last_reused = False
        h, w = model.input_hw
        self._input = np.empty((h, w, 3), np.uint8)
        self._input_flip = np.empty((h, w, 3), np.uint8)
        self._frame_size: tuple[int, int] | None = None
        self.tracker = RegionTracker()
        # Recurrent model state per pass: (full|focus, mirrored) -> (state, region it is in).
        self._states: dict[tuple[str, bool], tuple[ModelState, Region]] = {}
        # Measured per model (sidecar "matte"): narrows the soft band to a real matte's width.
        # Public so that `vbg eval` can compare with the uncalibrated matte.
        self.live_curve, self.still_curve = curves_for(model.info)
        self.smoother: TemporalSmoother  # both built from cfg by configure(), once here
        self.upsampler: GuidedUpsampler
        self.configure(cfg)

    def configure(self, cfg: MattingConfig) -> None:
        """Apply smoothing/refinement/focus settings (the model itself is fixed per engine)."""
        self.cfg = cfg
        self.tracker.full_every = cfg.full_frame_every
        self.smoother = TemporalSmoother(cfg.smooth_strength, cfg.motion_threshold)
        self.upsampler = GuidedUpsampler(cfg.refine_radius, cfg.refine_eps)
        self.tracker.reset()
        self.gate.reset()

    def reset(self) -> None:
        """Forget temporal state (tracking, smoothing, reuse), e.g. after a camera switch."""
        self.tracker.reset()
        self.smoother.reset()
        self._states.clear()
        self.gate.reset()

    @property
    def frame_half(self) -> np.ndarray | None:
        """The last frame shrunk by exactly 2 (INTER_AREA), when the engine made one (frames
        at least twice the model input), else None; for ``Compositor.compose``. Overwritten by
        the next call."""
        return self._half if self._frame_size is not None else None

    @property
    def alpha_half(self) -> np.ndarray | None:
        """The returned alpha at half size, when refinement evaluated it there, else None; for
        ``Compositor.compose``. Overwritten by the next call."""
        half = self.upsampler.alpha_half if self.cfg.refine else None
        if half is None or self._frame_size is None:
            return None
        fw, fh = self._frame_size
        # The upsampler rounds odd sizes up; the compositor wants an exact halving (floor).
        return half if half.shape == (fh // 2, fw // 2) else None

    def _buffers(self, frame: np.ndarray) -> None:
        fh, fw = frame.shape[:2]
        if self._frame_size == (fw, fh):
            return
        self._frame_size = (fw, fh)
        ww, wh = working_size(fw, fh, self.working_side)
        # The model sees the frame (or the person's region of it) at about its input size: a
        # half-size copy still has more detail than a 256-pixel input needs and costs a quarter
        # to resize from (an exact 2x INTER_AREA shrink is OpenCV's fast path).
        mh, mw = self.model.input_hw
        self._half = (np.empty((fh // 2, fw // 2, 3), np.uint8)
                      if min(fh // 2, fw // 2) >= max(mh, mw) and fw // 2 >= ww else None)
        # Further exact halvings of the half-size copy while they stay above the working size,
        # then one last step: INTER_AREA at a non-integer factor is OpenCV's slow path, and an
        # exact halving plus a bilinear step of under 2× costs much less for practically the
        # same picture (docs/benchmarks.md, "Design numbers moved from comments").
        # Bilinear only below 1.6×, where the halvings have already averaged the detail away;
        # at 720p 640 → 320 is a halving.
        self._steps: list[np.ndarray] = []
        self._last_interp = cv2.INTER_AREA
        if self._half is not None:
            h, w = fh // 2, fw // 2
            while w // 2 >= ww and h // 2 >= wh and (w // 2, h // 2) != (ww, wh):
                h, w = h // 2, w // 2
                self._steps.append(np.empty((h, w, 3), np.uint8))
            if self._steps and w < 1.6 * ww:
                self._last_interp = cv2.INTER_LINEAR
        self._small = np.empty((wh, ww, 3), np.uint8)
        self._gray = np.empty((wh, ww), np.uint8)
        self._work = np.zeros((wh, ww), np.float32)
        self._calibrated = np.empty((wh, ww), np.float32)
        self._alpha = np.empty((fh, fw), np.uint8)
        self.reset()

    def _shrink(self, frame: np.ndarray) -> None:
        """Fill the half-size copy (if used), the working-size picture and its grey."""
        src = frame
        if self._half is not None:
            cv2.resize(frame, self._half.shape[1::-1], dst=self._half,
                       interpolation=cv2.INTER_AREA)
            src = self._half
        for step in self._steps:
            cv2.resize(src, step.shape[1::-1], dst=step, interpolation=cv2.INTER_AREA)
            src = step
        cv2.resize(src, self._small.shape[1::-1], dst=self._small,
                   interpolation=self._last_interp)
        cv2.cvtColor(self._small, cv2.COLOR_BGR2GRAY, dst=self._gray)

    def _fit_source(self, frame: np.ndarray, region: Region) -> np.ndarray:
        """The picture the model input is cut from: the half-size copy, or a further exact
        halving of it (``_steps``) while the region there still covers the model input at
        least twice over. Fitting then shrinks by less than 2 with INTER_LINEAR, as at 720p,
        instead of INTER_AREA at a non-integer factor (OpenCV's slow path, the largest single
        cost at 1080p before this: docs/benchmarks.md); the halving it starts from is made
        anyway, and is the same 2×2 average INTER_AREA would have taken first."""
        if self._half is None:
            return frame
        in_h, in_w = self.model.input_hw
        src = self._half
        for step in self._steps:
            x0, y0, x1, y1 = region.pixels(src.shape[1], src.shape[0])
            if min((y1 - y0) / in_h, (x1 - x0) / in_w) < 2.0:
                break
            src = step
        return src

    def _infer(self, picture: np.ndarray, region: Region, mirrored: bool,
               keep_state: bool) -> np.ndarray:
        """One model call. A recurrent model gets the state of its own pass: the full-frame
        pass (detection, or focus off) or the focused crop, each plain or mirrored, since each
        sees different coordinates (a crop that has grown to the whole frame shares the
        full-frame state: same coordinates). A pass starts afresh when its region jumped
        (overlap below ``STATE_KEEP_OVERLAP``); stills use no state (``keep_state``)."""
        adapter = self.model.adapter
        if not (adapter.stateful and keep_state):
            return adapter.infer(picture)[0]
        key = ("full" if region == FULL else "focus", mirrored)
        state, seen = self._states.get(key, (None, region))
        if _overlap(seen, region) < STATE_KEEP_OVERLAP:
            state = None
        prob, state = adapter.infer(picture, state)
        self._states[key] = (state, region)
        return prob

    def _run_region(self, frame: np.ndarray, region: Region, out: np.ndarray,
                    mirror: bool, keep_state: bool = True) -> None:
        """Run the model on ``region`` of ``frame``; write the probability into the same region
        of the working alpha ``out`` and zero everything outside it (unseen = background).
        ``keep_state``: use and update the per-pass state of a recurrent model (video)."""
        frame = self._fit_source(frame, region)
        fh, fw = frame.shape[:2]
        x0, y0, x1, y1 = region.pixels(fw, fh)
        place = fit_into(frame[y0:y1, x0:x1], self._input, self.model.fit)
        prob = self._infer(self._input, region, False, keep_state)
        if mirror:
            cv2.flip(self._input, 1, dst=self._input_flip)
            prob = 0.5 * (prob + cv2.flip(
                self._infer(self._input_flip, region, True, keep_state), 1))
        wh, ww = out.shape
        rx0, ry0, rx1, ry1 = region.pixels(ww, wh)
        if region != FULL:
            out[:] = 0.0
        unfit(prob, place, out[ry0:ry1, rx0:rx1])

    def process(self, frame: np.ndarray) -> np.ndarray:
        """Alpha for one video frame (BGR uint8), using and updating the temporal state."""
        t0 = time.perf_counter()
        self._buffers(frame)
        self._shrink(frame)
        t1 = time.perf_counter()
        self.frames += 1
        mirror = self.cfg.mirror_pass
        region, full_pass = self.tracker.plan() if self.cfg.focus else (FULL, False)
        # Reuse the last mask (and its refined full-size version) while the person's region is
        # still; never on a detection pass, never where anything moved (see StillnessGate).
        if self.reuse_still:
            self.gate.observe(self._gray)
        self.last_reused = (self.reuse_still and not full_pass and region is not None
                            and self.gate.still(region))
        if self.last_reused:
            self.reused += 1
            self.timings = {"prep": (t1 - t0) * 1e3, "infer": 0.0, "smooth": 0.0,
                            "refine": 0.0}
            return self._alpha
        if not self.cfg.focus:
            self._run_region(frame, FULL, self._work, mirror)
        else:
            if full_pass:
                # Detection pass: finds people the tracked crop can't see (someone entering).
                self._run_region(frame, FULL, self._work, mirror)
                found = person_region(self._work)
                if found is not None:
                    region = found if region is None else region.union(found)
                else:
                    region = None
            # A region that is the whole frame (someone close to a laptop's camera) was just
            # seen by the detection pass: the focused pass would run the model again on the
            # very same input.
            if region is not None and not (full_pass and region == FULL):
                self._run_region(frame, region, self._work, mirror)
            self.tracker.update(self._work)
        if self.reuse_still:
            self.gate.ran()
        t2 = time.perf_counter()
        alpha = self.smoother(self._work, self._gray) if self.cfg.smoothing else self._work
        # After the smoother, so its history stays the model's own (uncalibrated) output.
        alpha = self.live_curve.apply_small(alpha, self._calibrated)
        t3 = time.perf_counter()
        self._upsample(alpha, frame)
        t4 = time.perf_counter()
        self.timings = {"prep": (t1 - t0) * 1e3, "infer": (t2 - t1) * 1e3,
                        "smooth": (t3 - t2) * 1e3, "refine": (t4 - t3) * 1e3}
        return self._alpha

    def process_still(self, image: np.ndarray, focus: bool = True,
                      mirror: bool = True) -> np.ndarray:
        """Alpha for a still picture: full pass, then (``focus``) a pass on the person's
        region, each (``mirror``) averaged with a mirrored pass. No temporal state is used."""
        self._buffers(image)
        self._shrink(image)
        self._run_region(image, FULL, self._work, mirror, keep_state=False)
        region = person_region(self._work) if focus else None
        if region is not None and region != FULL:
            self._run_region(image, region, self._work, mirror, keep_state=False)
        self._upsample(self.still_curve.apply_small(self._work, self._calibrated), image)
        return self._alpha

    def _upsample(self, alpha_small: np.ndarray, frame: np.ndarray) -> None:
        if self.cfg.refine:
            self.upsampler(alpha_small, self._gray, frame, out=self._alpha,
                           frame_half=self._half)
        else:
            upsample_plain(alpha_small, frame.shape[1::-1], out=self._alpha)
