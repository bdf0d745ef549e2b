"""Render the framing contact sheet of docs/quality.md: for each clip of ../shared/video, three
frames (start, middle, end) with framing off (top row) and auto (bottom row), on green.

    python docs/img/make_framing_sheet.py /tmp/framing_sheet.png

Runs `vbg video` twice per clip into a temporary folder. The sheet shows frames of the shared
clips, whose licence is unclear: write it outside the repository and look at it; don't commit it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import av
import cv2
import numpy as np

SHARED = Path(__file__).resolve().parents[3] / "shared" / "video"
TILE = (320, 180)


def frames(path: Path, picks: tuple[float, ...]) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        all_frames = [f.to_ndarray(format="bgr24") for f in c.decode(video=0)]
    return [cv2.resize(all_frames[int(p * (len(all_frames) - 1))], TILE,
                       interpolation=cv2.INTER_AREA) for p in picks]


def main(out: str) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip in sorted(SHARED.glob("*.mp4")):
            for mode in ("off", "auto"):
                dst = Path(tmp) / f"{clip.stem}_{mode}.mp4"
                subprocess.run(["vbg", "video", str(clip), "--framing", mode, "--out", str(dst),
                                "-b", "color:#00b000", "--quiet"], check=True)
                row = frames(dst, (0.0, 0.5, 1.0))
                cv2.putText(row[0], f"{clip.stem} {mode}", (6, 18), cv2.FONT_HERSHEY_SIMPLEX,
                            0.5, (255, 255, 255), 1, cv2.LINE_AA)
                rows.append(np.hstack(row))
    cv2.imwrite(out, np.vstack(rows))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "framing_sheet.png")
