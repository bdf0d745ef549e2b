"""The one place the pipeline's processing parts are built, for ``start()`` and ``apply()``
alike: the mask engine and the compositor (and, at start, the source when someone already
watches), in the order that fails fast.

Built on the caller's thread, so what fails for a user reason (a background file, a model) is
raised there, with nothing left open and, in ``apply()``, the old setting still active.

One background, decoded once: the compositor's own :class:`~vbg.compositor.Backdrop`
(``Parts.backdrop``) is what the output stage draws its background-only pictures with (the
still, the paused picture). The compositor owns it (its ``close()`` closes it); the process
stage owns the compositor; the output stage only borrows the backdrop and never closes it. A
backdrop closed under the output stage (a background swap, before the output has taken the new
one; the end of a run) draws an image or video background as its colour: never the room.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vbg.capture import Source
from vbg.compositor import Backdrop, Compositor
from vbg.config import AppConfig
from vbg.matting.engine import MaskEngine
from vbg.matting.foreground import FastForeground
from vbg.matting.registry import load_model
from vbg.pipeline.plan import ApplyPlan

# What start() builds: everything.
EVERYTHING = ApplyPlan(load_model=True, rebuild_compositor=True, reopen_capture=True,
                       restart_output=True)


@dataclass(frozen=True, slots=True)
class Parts:
    """What :func:`build` made (``None``: not asked for). ``compositor`` draws the person over
    the background (process stage); its :attr:`backdrop` the background alone, for the still
    and the paused picture (output stage, borrowed: see the module docstring)."""

    engine: MaskEngine | None = None
    compositor: Compositor | None = None
    source: Source | None = None

    @property
    def backdrop(self) -> Backdrop | None:
        """The compositor's backdrop (thread-safe), shared with the output stage."""
        return self.compositor.backdrop if self.compositor is not None else None

    def close(self) -> None:
        """Close what was opened (before it was handed to a thread: the caller still owns it);
        the compositor closes its backdrop."""
        for part in (self.source, self.compositor):
            if part is not None:
                part.close()


def build(config: AppConfig, plan: ApplyPlan,
          open_source: Callable[[], Source] | None = None) -> Parts:
    """Build what ``plan`` asks for (``load_model``: the engine; ``rebuild_compositor``: the
    compositor, and with it the backdrop) for ``config``, and open the source with
    ``open_source`` when given.

    Order: the background first (a bad background file fails before the camera turns on), then
    the source (a missing camera fails before the model loads), then the model. Raises the
    first failure's error with whatever was already built closed again.
    """
    compositor = source = None
    try:
        if plan.rebuild_compositor:
            compositor = Compositor(config.background, foreground=FastForeground())
        if open_source is not None:
            source = open_source()
        engine = None
        if plan.load_model:
            m = config.matting
            engine = MaskEngine(load_model(m.model, m.threads, m.provider, m.fit), m)
    except BaseException:
        Parts(None, compositor, source).close()
        raise
    return Parts(engine, compositor, source)
