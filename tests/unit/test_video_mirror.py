"""`vbg video --mirror` after mirroring left the compositor (issue 23, 2): the file is the
unmirrored result flipped, and so is the mask."""

from __future__ import annotations

import numpy as np

from tests.media import decode_video, make_clip
from vbg.config import BackgroundConfig
from vbg.video import VideoJob, prepare, run_video


def test_mirror_flips_the_picture_and_the_mask(tmp_path):
    clip = tmp_path / "talk.mp4"
    make_clip(clip, 6, 24, size=(320, 180), audio=None)
    results = {}
    for mirror in (False, True):
        out, mask = tmp_path / f"out{mirror}.mp4", tmp_path / f"mask{mirror}.mkv"
        job = VideoJob(clip, out, mask, background=BackgroundConfig.parse("color:#00FF00"),
                       mirror=mirror)
        assert run_video(prepare(job)).frames == 6
        results[mirror] = decode_video(out), decode_video(mask, fmt="gray")
    (plain, plain_masks), (flipped, flipped_masks) = results[False], results[True]
    for p, f in zip(plain_masks, flipped_masks, strict=True):
        np.testing.assert_array_equal(f, p[:, ::-1])  # FFV1: lossless
    for p, f in zip(plain, flipped, strict=True):  # H.264: lossy, the same picture flipped
        assert np.abs(f.astype(int) - p[:, ::-1]).mean() < 2
        assert np.abs(f.astype(int) - p).mean() > 5  # and not the unflipped one
