"""The real-time pipeline (threads and hand-offs) and its pure pieces. No Qt.

- :mod:`~vbg.pipeline.runner`: :class:`Pipeline`, the three threads (capture → process →
  output) joined by latest-wins slots; :class:`Composite`; :class:`Sent` (what the outputs
  got last).
- :mod:`~vbg.pipeline.decision`: what each output tick sends (privacy fails closed).
- :mod:`~vbg.pipeline.plan`: what ``Pipeline.apply(new)`` rebuilds.
- :mod:`~vbg.pipeline.sinkset`: the outputs, owned by the output thread alone.
- :mod:`~vbg.pipeline.pictures`: the pictures shown instead of a composite.
- :mod:`~vbg.pipeline.demand`: who watches (debounced) and what follows: idle / live / paused.
- :mod:`~vbg.pipeline.watcher`: apps reading the virtual camera, from inotify (Linux).
"""

from __future__ import annotations

from vbg.config import AppConfig
from vbg.pipeline.decision import HOLD_S, OutputState, decide_output
from vbg.pipeline.demand import Activity, decide_demand
from vbg.pipeline.output_stage import Sent
from vbg.pipeline.plan import ApplyPlan, plan_apply
from vbg.pipeline.runner import Composite, Pipeline
from vbg.pipeline.sinkset import SinkSet

__all__ = [
    "HOLD_S",
    "Activity",
    "ApplyPlan",
    "Composite",
    "OutputState",
    "Pipeline",
    "Sent",
    "SinkSet",
    "decide_demand",
    "decide_output",
    "plan_apply",
    "summarise",
]


def summarise(config: AppConfig) -> str:
    """One line describing a configuration, for logs and the CLI."""
    c, m, b = config.capture, config.matting, config.background
    return (f"source {c.source} {c.width}x{c.height}@{c.fps:g}, model {m.model} "
            f"({m.threads} thread(s), {m.provider}), background {b.kind}")
