"""Backgrounds and blending: turns a camera frame and its person mask into the output picture.

Kinds (``BackgroundConfig.kind``): ``none`` (passthrough), ``blur`` (mask-aware: only the
background is blurred, so the person never smears into it), ``color``, ``image`` (cover-fitted
once per frame size) and ``video`` (looping, one background frame per output frame).

- :mod:`~vbg.compositor.compositor`: :class:`Compositor`, the person over the background.
- :mod:`~vbg.compositor.backdrop`: :class:`Backdrop`, the background alone (colour, image,
  video, and the privacy blur shown when no trustworthy mask exists); pictures are fitted with
  :func:`vbg.imaging.cover_fit`.
- :mod:`~vbg.compositor.blur`: the blur kernels (area pyramid, soft blur, mask-aware blur).
- :mod:`~vbg.compositor.blend`: the blends (person's box, banded blend, light wrap).

Everything per frame works on preallocated buffers with cv2 uint8 arithmetic; float32 is used
only at the reduced resolution where the blur is computed. Full-size passes are kept few: the
blurred background is upscaled straight into the output, the blend runs only over the box that
holds the person (alpha is 0 outside it; for a large person band by band, copying the opaque
interior and blending only its edges), and the half-size frame and alpha that the mask engine
made anyway are taken instead of shrinking the full-size pictures again. What each of these
costs is in docs/benchmarks.md (the compositor's design numbers).
"""

from __future__ import annotations

from vbg.compositor.backdrop import Backdrop
from vbg.compositor.compositor import Compositor, ForegroundFn

__all__ = ["Backdrop", "Compositor", "ForegroundFn"]
