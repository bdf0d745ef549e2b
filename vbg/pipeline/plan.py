"""What ``Pipeline.apply(new)`` must rebuild, decided from the two configurations alone.

Pure (in the spirit of vorta's ``prepare()``): tests check every field without threads, a
model or a camera, and the pipeline does exactly what the plan says.
"""

from __future__ import annotations

from dataclasses import dataclass

from vbg.config import AppConfig


@dataclass(frozen=True, slots=True)
class ApplyPlan:
    """The pieces that change between two configurations.

    - ``load_model``: another model file, thread count, provider or fit: a new session.
    - ``configure_matting``: only matting knobs changed: the running engine is reconfigured.
    - ``rebuild_compositor``: the background changed (a file is loaded up front).
    - ``mirror``: mirroring changed: the capture thread flips (or stops flipping) the frames
      from its next one, nothing is rebuilt or reopened.
    - ``reopen_capture``: any capture setting changed: the capture thread reopens the source.
    - ``restart_output``: rate, size, virtual camera device/backend or a recording path changed:
      the output thread closes and reopens its sinks (extra sinks are kept).
    """

    load_model: bool = False
    configure_matting: bool = False
    rebuild_compositor: bool = False
    mirror: bool = False
    reopen_capture: bool = False
    restart_output: bool = False

    @property
    def empty(self) -> bool:
        """True when the configurations are equivalent for a running pipeline."""
        return not (self.load_model or self.configure_matting or self.rebuild_compositor
                    or self.mirror or self.reopen_capture or self.restart_output)


def _model_key(cfg: AppConfig) -> tuple[object, ...]:
    m = cfg.matting
    return (m.model, m.threads, m.provider, m.fit)


def output_key(cfg: AppConfig) -> tuple[object, ...]:
    """Everything the sinks are opened with; a change means reopening them."""
    o, c = cfg.output, cfg.capture
    return (o.fps, o.vcam, o.vcam_device, o.vcam_backend, o.record, o.record_mask,
            c.width, c.height)


def plan_apply(old: AppConfig, new: AppConfig) -> ApplyPlan:
    """What switching a running pipeline from ``old`` to ``new`` rebuilds."""
    load = _model_key(old) != _model_key(new)
    return ApplyPlan(
        load_model=load,
        configure_matting=not load and old.matting != new.matting,
        rebuild_compositor=old.background != new.background,
        mirror=old.output.mirror != new.output.mirror,
        reopen_capture=old.capture != new.capture,
        restart_output=output_key(old) != output_key(new),
    )
