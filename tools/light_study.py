"""Which low-light method for the person (issue 24, item 4): measured on darkened real clips.

For every clip of the shared video folder this makes (once, into --work, never into the
repository) a darkened copy the way a dim room darkens a webcam (``ffmpeg -vf
eq=gamma=0.55:contrast=0.85,noise=alls=5:allf=t``) and the person's mask, from vbg itself run
on the *original* clip (``vbg video CLIP --mask``). Then every method runs over the dark clip
and over the well-lit original, frame by frame in order with its own adaptation state, and
prints per method and clip:

- restored: the share of the person's lost mean luminance brought back,
  (out − dark) / (original − dark), means over all frames (goal ≥ 60 %);
- steady: the std of the frame-to-frame change of the person's mean luminance, divided by the
  original's (goal ≤ 1.5);
- ΔE: mean CIE76 colour difference (Lab) from the original on the person (alpha > 0.5);
- well-lit: the change of the person's mean luminance when the method runs on the original
  (goal within 5 %), and the share of person pixels changed at all;
- grain ×: the person's fine detail and noise (std of luminance minus its 5×5 blur) against
  the original's (the dark clip has less detail and added noise; > 1: noise lifted);
- and (``--timing``) the cost per 720p frame, the methods interleaved over several rounds.

Methods: ``off`` (the dark clip as it is); ``gamma`` (vbg.light: the fitted gamma curve with
highlight stretch, the choice); ``gain`` (the same metering and easing, a linear gain giving
the face the same brightness); ``clahe`` (CLAHE on the luminance of the person's box, alpha
mixed, while the same meter says the person is dim); ``guided`` (a local tone map: the fitted
curve applied to a guided-filter base layer of the luminance, the detail kept, as a gain on
the three channels). All share vbg.light's meter and dead band, so they differ by the curve.

    python tools/light_study.py [--videos ../shared/video] [--work /tmp/vbg-light]
                                [--timing] [--rounds 5] [--crops /tmp/vbg-light/crops]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from vbg.light import Curve, LightParams, Relighter
from vbg.light.relight import Mix, person_bands, person_box

REPO = Path(__file__).resolve().parents[1]
DARKEN = "eq=gamma=0.55:contrast=0.85,noise=alls=5:allf=t"
METHODS = ("off", "gamma", "gain", "clahe", "guided")


# -- the methods ------------------------------------------------------------------------------

class Method:
    """One method over one clip: ``__call__(frame, alpha, half, alpha_half, dt)`` corrects
    ``frame`` in place. All use a ``Relighter`` for metering and easing."""

    def __init__(self, params: LightParams) -> None:
        self.light = Relighter(params)

    def __call__(self, frame: np.ndarray, alpha: np.ndarray, half: np.ndarray,
                 alpha_half: np.ndarray, dt: float) -> None:
        raise NotImplementedError


class Off(Method):
    def __call__(self, frame, alpha, half, alpha_half, dt):  # type: ignore[no-untyped-def]
        return None


class Gamma(Method):
    """vbg.light as the compositor will get it: the curve wherever alpha > 0 (mix "mask")."""

    mix: Mix = "mask"

    def __call__(self, frame, alpha, half, alpha_half, dt):  # type: ignore[no-untyped-def]
        self.light.process(frame, alpha, dt, frame_half=half, alpha_half=alpha_half,
                           mix=self.mix)


class GammaAlpha(Gamma):
    """The same, mixed by alpha (for a frame shown as it is: background none)."""

    mix: Mix = "alpha"


def _step(m: Method, frame, alpha, half, alpha_half, dt) -> Curve:  # type: ignore[no-untyped-def]
    """Meter and ease as vbg.light does, without applying its curve."""
    from vbg.light.adapt import step

    light = m.light
    light.stats = light.measure(frame, alpha, frame_half=half, alpha_half=alpha_half)
    light.curve, light.state = step(light.stats, light.state, dt, light.params)
    return light.curve


class Gain(Method):
    """A linear gain that gives the face's key what the gamma curve gives it."""

    def __call__(self, frame, alpha, half, alpha_half, dt):  # type: ignore[no-untyped-def]
        curve = _step(self, frame, alpha, half, alpha_half, dt)
        if curve.gamma == 1.0 and curve.white == 1.0:
            return
        key = 2.0 ** self.light.state.key  # type: ignore[operator]
        out = float(curve.tone(np.array([key]))[0])
        gain = max(1.0, out / key)
        self.light.apply(frame, alpha, Curve(gamma=1.0, white=1.0 / gain, slope=gain),
                         boxes=person_bands(alpha, alpha_half), mix="mask")


class Clahe(Method):
    """CLAHE on the Y of the person's box while the meter says the person is dim (mixed in as
    the eased correction comes in), alpha-mixed."""

    def __init__(self, params: LightParams) -> None:
        super().__init__(params)
        self.clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))

    def __call__(self, frame, alpha, half, alpha_half, dt):  # type: ignore[no-untyped-def]
        curve = _step(self, frame, alpha, half, alpha_half, dt)
        lift = self.light.state.lift
        if curve.gamma == 1.0 or lift.aim <= 0.0:
            return
        rows, cols = person_box(alpha, alpha_half)
        roi = frame[rows, cols]
        if roi.size == 0:
            return
        ycc = cv2.cvtColor(roi, cv2.COLOR_BGR2YCrCb)
        y = ycc[..., 0].copy()
        ycc[..., 0] = self.clahe.apply(y)
        eq = cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR)
        share = min(1.0, lift.pos / lift.aim)
        a = alpha[rows, cols].astype(np.float32)[..., None] * (share / 255.0)
        roi[:] = np.clip(roi + a * (eq.astype(np.float32) - roi), 0, 255).astype(np.uint8)


class Guided(Method):
    """Local tone map: the fitted curve on a guided-filter base of the luminance (at quarter
    size), as a gain on the three channels (the detail and chroma ratios kept)."""

    def __call__(self, frame, alpha, half, alpha_half, dt):  # type: ignore[no-untyped-def]
        curve = _step(self, frame, alpha, half, alpha_half, dt)
        if curve.gamma == 1.0 and curve.white == 1.0:
            return
        rows, cols = person_box(alpha, alpha_half)
        roi = frame[rows, cols]
        if roi.size == 0:
            return
        h, w = roi.shape[:2]
        small = cv2.resize(roi, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
        y = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
        r = max(1, round(0.04 * y.shape[0]))
        base = _guided(y, y, r, 0.01)
        base = np.clip(base, 1.0 / 255.0, 1.0)
        gain = curve.tone(base.astype(np.float64)).astype(np.float32) / base
        gain = cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)
        a = alpha[rows, cols].astype(np.float32) / 255.0
        g = 1.0 + a * (gain - 1.0)
        roi[:] = np.clip(roi * g[..., None], 0, 255).astype(np.uint8)


def _guided(guide: np.ndarray, src: np.ndarray, r: int, eps: float) -> np.ndarray:
    k = (2 * r + 1, 2 * r + 1)
    mean_i = cv2.boxFilter(guide, -1, k)
    mean_p = cv2.boxFilter(src, -1, k)
    cov = cv2.boxFilter(guide * src, -1, k) - mean_i * mean_p
    var = cv2.boxFilter(guide * guide, -1, k) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    return cv2.boxFilter(a, -1, k) * guide + cv2.boxFilter(b, -1, k)


FACTORIES: dict[str, Callable[[LightParams], Method]] = {
    "off": Off, "gamma": Gamma, "gain": Gain, "clahe": Clahe, "guided": Guided,
}


# -- data --------------------------------------------------------------------------------------

def prepare(clip: Path, work: Path) -> tuple[Path, Path]:
    """The dark copy and the mask of ``clip`` in ``work`` (made once)."""
    dark = work / f"dark_{clip.stem}.mp4"
    mask = work / f"mask_{clip.stem}.mkv"
    if not dark.exists():
        if shutil.which("ffmpeg") is None:
            sys.exit("ffmpeg is needed to darken the clips (apt-get install ffmpeg).")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-vf", DARKEN,
                        "-fps_mode", "passthrough", "-an", "-c:v", "libx264", "-crf", "14",
                        "-pix_fmt", "yuv420p", str(dark)], check=True)
    if not mask.exists():
        subprocess.run([sys.executable, "-m", "vbg", "video", str(clip), "--out",
                        str(work / f"orig_{clip.stem}.mp4"), "--mask", str(mask),
                        "-b", "color:#808080", "--quiet", "--force"], check=True)
    return dark, mask


def frames(*paths: Path):  # type: ignore[no-untyped-def]
    """The frames of several videos in step (stops at the shortest)."""
    caps = [cv2.VideoCapture(str(p)) for p in paths]
    try:
        while True:
            got = [c.read() for c in caps]
            if not all(ok for ok, _ in got):
                return
            yield [f for _, f in got]
    finally:
        for c in caps:
            c.release()


def halves(frame: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = alpha.shape
    size = (w // 2, h // 2)
    return (cv2.resize(frame, size, interpolation=cv2.INTER_AREA),
            cv2.resize(alpha, size, interpolation=cv2.INTER_AREA))


def person_mean(luma: np.ndarray, weight: np.ndarray) -> float:
    return float((luma * weight).sum() / max(weight.sum(), 1e-9))


def grain(luma: np.ndarray, person: np.ndarray) -> float:
    """Std of the luminance minus its 5×5 box blur on the person: fine detail and noise."""
    hp = luma.astype(np.float32) - cv2.blur(luma, (5, 5)).astype(np.float32)
    return float(hp[person].std())


def lab(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)


# -- quality -----------------------------------------------------------------------------------

@dataclass
class Track:
    dark: list[float] = field(default_factory=list)   # person mean luminance per frame, dark run
    lit: list[float] = field(default_factory=list)    # ... well-lit run
    de: list[float] = field(default_factory=list)     # mean ΔE per frame, dark run
    lit_changed: list[float] = field(default_factory=list)  # share of person pixels changed
    grain: list[float] = field(default_factory=list)  # fine detail + noise on the person


def study_clip(clip: Path, work: Path, params: LightParams, crops: Path | None,
               limit: int | None) -> dict[str, object]:
    dark_path, mask_path = prepare(clip, work)
    fps = cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FPS) or 30.0
    dt = 1.0 / fps
    on_dark = {m: FACTORIES[m](params) for m in METHODS}
    on_lit = {m: FACTORIES[m](params) for m in METHODS}
    tracks = {m: Track() for m in METHODS}
    orig_means: list[float] = []
    orig_grain: list[float] = []
    dark_means: list[float] = []
    n_total = int(cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT))
    crop_at = {n_total // 3, (2 * n_total) // 3}
    for i, (orig, dark, mask) in enumerate(frames(clip, dark_path, mask_path)):
        if limit is not None and i >= limit:
            break
        alpha = np.ascontiguousarray(mask[..., 0])
        weight = alpha.astype(np.float32) / 255.0
        person = alpha > 127
        orig_luma = cv2.cvtColor(orig, cv2.COLOR_BGR2GRAY)
        orig_means.append(person_mean(orig_luma, weight))
        dark_means.append(person_mean(cv2.cvtColor(dark, cv2.COLOR_BGR2GRAY), weight))
        orig_lab = lab(orig) if person.any() else None
        orig_grain.append(grain(orig_luma, person) if person.any() else float("nan"))
        shown: dict[str, np.ndarray] = {}
        for m in METHODS:
            out = dark.copy()
            half, ahalf = halves(out, alpha)
            on_dark[m](out, alpha, half, ahalf, dt)
            t = tracks[m]
            out_luma = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
            t.dark.append(person_mean(out_luma, weight))
            t.grain.append(grain(out_luma, person) if person.any() else float("nan"))
            if orig_lab is not None:
                d = np.linalg.norm(lab(out)[person] - orig_lab[person], axis=1)
                t.de.append(float(d.mean()))
            lit = orig.copy()
            half, ahalf = halves(lit, alpha)
            on_lit[m](lit, alpha, half, ahalf, dt)
            t.lit.append(person_mean(cv2.cvtColor(lit, cv2.COLOR_BGR2GRAY), weight))
            if person.any():
                t.lit_changed.append(float((lit[person] != orig[person]).any(axis=1).mean()))
            shown[m] = out
        if crops is not None and i in crop_at and person.any():
            save_crop(crops / f"{clip.stem}_{i:04d}.png", orig, shown, alpha)
    o, d = np.array(orig_means), np.array(dark_means)
    steady_o = float(np.std(np.diff(o)))
    rows: dict[str, object] = {"frames": len(o), "orig": float(o.mean()),
                               "dark": float(d.mean())}
    for m in METHODS:
        t = tracks[m]
        out, lit = np.array(t.dark), np.array(t.lit)
        rows[m] = {
            "mean": float(out.mean()),
            "restored": float((out.mean() - d.mean()) / (o.mean() - d.mean())),
            "steady": float(np.std(np.diff(out))) / steady_o,
            "de": float(np.mean(t.de)) if t.de else float("nan"),
            "lit_change": float(abs(lit.mean() - o.mean()) / o.mean()),
            "lit_changed_px": float(np.mean(t.lit_changed)) if t.lit_changed else 0.0,
            "grain": float(np.nanmean(t.grain) / np.nanmean(orig_grain)),
        }
    return rows


def save_crop(path: Path, orig: np.ndarray, shown: dict[str, np.ndarray],
              alpha: np.ndarray) -> None:
    """Original | each method on the dark clip, around the face (top of the person's box)."""
    ys, xs = np.nonzero(alpha > 127)
    y0 = int(ys.min())
    top = xs[ys < y0 + max(4, (ys.max() - y0) // 6)]
    cx, half_w = int(top.mean()), max(24, int((top.max() - top.min()) * 0.9))
    h, w = alpha.shape
    rows = slice(max(0, y0 - half_w // 3), min(h, y0 + 2 * half_w))
    cols = slice(max(0, cx - half_w), min(w, cx + half_w))
    tiles = [orig[rows, cols]] + [shown[m][rows, cols] for m in METHODS]
    strip = np.hstack(tiles)
    scale = max(1, 240 // strip.shape[0])
    strip = cv2.resize(strip, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    tile_w = strip.shape[1] // len(tiles)
    for k, name in enumerate(("original",) + METHODS):
        cv2.putText(strip, name, (k * tile_w + 4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5,
                    (0, 255, 255), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), strip)


# -- cost ----------------------------------------------------------------------------------

def timing(clip: Path, work: Path, params: LightParams, rounds: int, n: int = 60
           ) -> dict[str, list[float]]:
    """ms per 720p frame (dark office clip scaled to 1280×720), methods interleaved; each
    method first runs over the frames once so its correction is engaged, then is timed. The
    corrections are timed engaged on every frame (``engage`` raised for the timing only: the
    cost does not depend on it), the dead band with the default parameters on the original."""
    dark_path, mask_path = prepare(clip, work)
    data = []
    for k, (dark, mask) in enumerate(frames(dark_path, mask_path)):
        if k >= n:
            break
        f = cv2.resize(dark, (1280, 720), interpolation=cv2.INTER_LINEAR)
        a = np.ascontiguousarray(cv2.resize(mask[..., 0], (1280, 720),
                                            interpolation=cv2.INTER_LINEAR))
        data.append((f, a, *halves(f, a)))
    lit = []
    for k, (orig, mask) in enumerate(frames(clip, mask_path)):
        if k >= n:
            break
        f = cv2.resize(orig, (1280, 720), interpolation=cv2.INTER_LINEAR)
        a = np.ascontiguousarray(cv2.resize(mask[..., 0], (1280, 720),
                                            interpolation=cv2.INTER_LINEAR))
        lit.append((f, a, *halves(f, a)))
    backdrop = cv2.imread(str(REPO / "assets" / "backgrounds" / "evening_bokeh.jpg"))
    from vbg.light import measure_scene

    scene = measure_scene(backdrop)
    lit_params = params
    params = replace(params, engage=0.6, release=0.6, target=0.7)
    match = replace(params, strength=0.5)
    cases: dict[str, tuple[Callable[[], Method], list[tuple[np.ndarray, ...]]]] = {
        m: ((lambda m=m: FACTORIES[m](params)), data) for m in METHODS if m != "off"}
    cases["gamma, mixed by alpha"] = (lambda: GammaAlpha(params), data)
    cases["gamma, well-lit (dead band)"] = (lambda: Gamma(lit_params), lit)
    results: dict[str, list[float]] = {name: [] for name in cases}
    results["gamma + matching 0.5"] = []
    results["(a 3×3 box blur of the person's bands alone)"] = []
    buf = np.empty_like(data[0][0])
    for _ in range(rounds):
        for name, (make, frames_) in cases.items():
            method = make()
            for f, a, h, ah in frames_:  # engage
                np.copyto(buf, f)
                method(buf, a, h, ah, 1 / 30)
            total = 0.0
            for f, a, h, ah in frames_:
                np.copyto(buf, f)
                t0 = time.perf_counter()
                method(buf, a, h, ah, 1 / 30)
                total += time.perf_counter() - t0
            results[name].append(total / len(frames_) * 1e3)
        light = Relighter(match)
        for f, a, h, ah in data:
            np.copyto(buf, f)
            light.process(buf, a, 1 / 30, frame_half=h, alpha_half=ah, scene=scene, mix="mask")
        total = 0.0
        for f, a, h, ah in data:
            np.copyto(buf, f)
            t0 = time.perf_counter()
            light.process(buf, a, 1 / 30, frame_half=h, alpha_half=ah, scene=scene, mix="mask")
            total += time.perf_counter() - t0
        results["gamma + matching 0.5"].append(total / len(data) * 1e3)
        total = 0.0
        for f, a, _, ah in data:
            np.copyto(buf, f)
            t0 = time.perf_counter()
            for rows, cols in person_bands(a, ah):
                roi = buf[rows, cols]
                cv2.blur(roi, (3, 3), dst=roi)
            total += time.perf_counter() - t0
        results["(a 3×3 box blur of the person's bands alone)"].append(total / len(data) * 1e3)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=Path, default=REPO.parent / "shared" / "video")
    ap.add_argument("--work", type=Path, default=Path("/tmp/vbg-light"))
    ap.add_argument("--crops", type=Path, default=None, help="write face crops (PNG) here")
    ap.add_argument("--frames", type=int, default=None, help="at most this many per clip")
    ap.add_argument("--timing", action="store_true", help="also time the methods at 720p")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-quality", action="store_true")
    a = ap.parse_args()
    for folder in (a.work, a.crops):
        if folder is not None and folder.resolve().is_relative_to(REPO):
            sys.exit(f"{folder} is inside the repository; the clips' data may not go there.")
    a.work.mkdir(parents=True, exist_ok=True)
    cv2.setNumThreads(1)  # as the app runs OpenCV
    params = LightParams()
    clips = sorted(a.videos.glob("*.mp4"))
    if not a.no_quality:
        print("| clip | method | person mean (orig / dark → out) | restored | steady | ΔE | "
              "well-lit change | well-lit px changed | grain × |")
        print("|---|---|---|---|---|---|---|---|---|")
        for clip in clips:
            r = study_clip(clip, a.work, params, a.crops, a.frames)
            for m in METHODS:
                v = r[m]
                assert isinstance(v, dict)
                print(f"| {clip.stem} ({r['frames']}) | {m} | {r['orig']:.1f} / "
                      f"{r['dark']:.1f} → {v['mean']:.1f} | {100 * v['restored']:.0f} % | "
                      f"{v['steady']:.2f} | {v['de']:.1f} | {100 * v['lit_change']:.1f} % | "
                      f"{100 * v['lit_changed_px']:.1f} % | {v['grain']:.2f} |", flush=True)
    if a.timing:
        office = a.videos / "office_desk.mp4"
        res = timing(office if office.exists() else clips[0], a.work, params, a.rounds)
        print("\n| method (720p, office_desk dark; the person's box is about half the frame) "
              "| ms per frame, per round |")
        print("|---|---|")
        for name, ms in res.items():
            print(f"| {name} | {min(ms):.2f}–{max(ms):.2f} ({', '.join(f'{x:.2f}' for x in ms)})"
                  " |")


if __name__ == "__main__":
    main()
