"""The one place the pipeline's processing parts are built, for ``start()`` and ``apply()``
alike: the mask engine, the compositor and the background-only compositor (and, at start, the
source when someone already watches), in the order that fails fast.

Built on the caller's thread, so what fails for a user reason (a background file, a model) is
raised there, with nothing left open and, in ``apply()``, the old setting still active.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vbg.capture import Source
from vbg.compositor import Compositor
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
    the background (process stage); ``fallback`` the background alone, for the still and the
    paused picture (output stage): two, because each is used by one thread only."""

    engine: MaskEngine | None = None
    compositor: Compositor | None = None
    fallback: Compositor | None = None
    source: Source | None = None

    def close(self) -> None:
        """Close what was opened (before it was handed to a thread: the caller still owns it)."""
        for part in (self.source, self.compositor, self.fallback):
            if part is not None:
                part.close()


def build(config: AppConfig, plan: ApplyPlan,
          open_source: Callable[[], Source] | None = None) -> Parts:
    """Build what ``plan`` asks for (``load_model``: the engine; ``rebuild_compositor``: both
    compositors) for ``config``, and open the source with ``open_source`` when given.

    Order: the background first (a bad background file fails before the camera turns on), then
    the source (a missing camera fails before the model loads), then the model. Raises the
    first failure's error with whatever was already built closed again.
    """
    compositor = fallback = source = None
    try:
        if plan.rebuild_compositor:
            compositor = Compositor(config.background, config.output.mirror, FastForeground())
            fallback = Compositor(config.background, config.output.mirror)
        if open_source is not None:
            source = open_source()
        engine = None
        if plan.load_model:
            m = config.matting
            engine = MaskEngine(load_model(m.model, m.threads, m.provider, m.fit), m)
    except BaseException:
        Parts(None, compositor, fallback, source).close()
        raise
    return Parts(engine, compositor, fallback, source)
