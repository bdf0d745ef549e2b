"""The session's running pipeline: the one :class:`~vbg.pipeline.Pipeline` that runs (none while
off), the switches it keeps across restarts, its last stats and the preview's feed (Qt-free).

:class:`LivePipeline` is owned by :class:`vbg.app.session.Session`, which decides when a
pipeline starts, stops or changes (the policy); this holds it and reads from it. Every method
runs on the session's thread.
"""

from __future__ import annotations

import numpy as np

from vbg.pipeline import Pipeline
from vbg.stats import Stats


class LivePipeline:
    """``pipeline``: the running one or None; ``paused`` (privacy pause: the background only)
    and ``local_viewer`` (vbg's own preview is visible, which counts as someone watching) are
    kept while none runs and handed to the next; ``stats``: the last read (empty while off)."""

    def __init__(self) -> None:
        self.pipeline: Pipeline | None = None
        self.paused = False
        self.local_viewer = False
        self.stats = Stats()

    def adopt(self, pipe: Pipeline) -> Stats:
        """``pipe`` started: it is the running one now, paused and watched as asked; its
        first stats."""
        self.pipeline = pipe
        pipe.set_paused(self.paused)
        pipe.set_local_viewer(self.local_viewer)
        return self.poll()

    def release(self) -> None:
        """Stop the running pipeline, if any (it stops in < 1 s)."""
        pipe, self.pipeline = self.pipeline, None
        if pipe is not None:
            pipe.stop()
        self.stats = Stats()

    def poll(self) -> Stats:
        """Read the running pipeline's stats afresh (the last ones while none runs)."""
        if self.pipeline is not None:
            self.stats = self.pipeline.stats()
        return self.stats

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if self.pipeline is not None:
            self.pipeline.set_paused(paused)

    def set_local_viewer(self, visible: bool) -> None:
        self.local_viewer = visible
        if self.pipeline is not None:
            self.pipeline.set_local_viewer(visible)

    @property
    def vcam_device(self) -> str | None:
        return self.stats.vcam_device if self.pipeline is not None else None

    def latest_frame(self) -> tuple[int, np.ndarray | None]:
        """(key, the frame the virtual camera got last): the preview's feed. The key changes
        when the picture does (a composite's sequence number, kept while it is re-sent to keep
        the output rate steady; minus the send number for a still or paused picture); 0 with
        no frame."""
        sent = self.pipeline.latest_sent() if self.pipeline is not None else None
        if sent is None:
            return 0, None
        if sent.composite is not None:
            return sent.composite, sent.image
        return -sent.seq, sent.image

    def latest_mask(self) -> tuple[int, np.ndarray | None]:
        """(sequence, alpha of the newest composite): the output's own mask (mirrored with the
        output, since the pipeline mirrors the camera frame before the mask)."""
        comp = self.pipeline.latest_composite() if self.pipeline is not None else None
        if comp is None or comp.alpha is None:
            return 0, None
        return comp.seq, comp.alpha
