"""The outputs of a running pipeline, owned by its output thread alone.

A :class:`SinkSet` is opened on the caller's thread by ``Pipeline.start()`` (so a missing
virtual camera is an error there, before anything runs) and then handed to the output thread,
which is the only thread that calls ``send``, ``reopen`` and ``close`` from then on. That keeps
the sink contract (:mod:`vbg.sinks.base`): every sink is closed exactly once, from the thread
that sends to it.

Two kinds of sink live here: the ones the configuration opens (virtual camera, recording, mask
recording), which ``reopen`` closes and opens again with a new rate or size, and the caller's
``extra`` sinks (e.g. a preview), which are kept across reopens and closed once by ``close``.

The virtual camera is one or two sinks (:func:`choose_vcams`): a PipeWire node
(:class:`~vbg.sinks.pipewire.PipeWireCameraSink`) and/or a v4l2loopback device through
pyvirtualcam (:class:`~vbg.sinks.virtualcam.VirtualCameraSink`). Both give a reader signal to
the same activity model (:mod:`vbg.pipeline.demand`): the PipeWire node's own stream state
(streaming while a consumer is linked), and for v4l2loopback an inotify watch
(:class:`~vbg.pipeline.watcher.ReaderWatcher`, Linux) armed right after the device opened and
closed right before it closes, so vbg's own writer is never counted (see
:mod:`vbg.pipeline.watcher`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vbg.config import AppConfig
from vbg.errors import OutputError
from vbg.pipeline.watcher import DeviceGone, ReaderWatcher, watchable
from vbg.sinks.base import Sink
from vbg.sinks.file import VideoFileSink
from vbg.sinks.pipewire import PipeWireCameraSink, daemon_socket
from vbg.sinks.virtualcam import VirtualCameraSink

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class VcamChoice:
    """Which virtual cameras to open: ``pipewire`` (the PipeWire node), ``v4l2`` (through
    pyvirtualcam, with ``pyvirtualcam_backend``; None: pyvirtualcam's own choice), and whether
    a failing PipeWire node may be left out (``auto`` with a v4l2loopback device as well)."""

    pipewire: bool
    v4l2: bool
    pyvirtualcam_backend: str | None = None
    pipewire_optional: bool = False


def choose_vcams(backend: str | None, *, pipewire: bool, v4l2loopback: bool,
                 os_name: str = sys.platform) -> VcamChoice:
    """What ``backend`` means here. ``pipewire``: a PipeWire daemon is reachable;
    ``v4l2loopback``: the module is loaded. Pure.

    ``auto`` (or None), on Linux: the PipeWire node when a daemon is reachable, the
    v4l2loopback device when the module is loaded, both when both are there, and the
    v4l2 path (whose error says how to get a camera) when neither is. Elsewhere: pyvirtualcam
    (the OBS Virtual Camera).
    """
    if backend in (None, "auto"):
        if not os_name.startswith("linux"):
            return VcamChoice(pipewire=False, v4l2=True)
        if pipewire:
            return VcamChoice(pipewire=True, v4l2=v4l2loopback, pipewire_optional=v4l2loopback)
        return VcamChoice(pipewire=False, v4l2=True)
    if backend == "pipewire":
        return VcamChoice(pipewire=True, v4l2=False)
    if backend == "v4l2":
        return VcamChoice(pipewire=False, v4l2=True)
    return VcamChoice(pipewire=False, v4l2=True, pyvirtualcam_backend=backend)


class SinkSet:
    """Opens the configured sinks; see the module docstring for who may call what.

    Raises the sinks' ``OutputError`` when one can't be opened, with the others closed again.
    ``on_error`` receives failures of ``close`` (one failing sink must not keep the others open).
    """

    def __init__(self, cfg: AppConfig, extra: Sequence[Sink] = (),
                 on_error: Callable[[Exception], None] | None = None) -> None:
        self._extra = list(extra)
        self._on_error = on_error or (lambda e: log.error("%s", e))
        self._closed = False
        self.vcam: VirtualCameraSink | None = None
        self.pipewire: PipeWireCameraSink | None = None
        self._own: list[Sink] = []
        self._mask: VideoFileSink | None = None
        self._fps = cfg.output.fps
        self._watcher: ReaderWatcher | None = None
        self._preexisting = False
        self._gone = False
        self._open(cfg)
        self._arm()

    def _open(self, cfg: AppConfig) -> None:
        w, h, fps = cfg.capture.width, cfg.capture.height, cfg.output.fps
        opened: list[Sink] = []
        vcam = mask = pwcam = None
        try:
            if cfg.output.vcam:
                choice = choose_vcams(cfg.output.vcam_backend,
                                      pipewire=daemon_socket() is not None,
                                      v4l2loopback=os.path.isdir("/sys/module/v4l2loopback"))
                if choice.pipewire:
                    try:
                        pwcam = PipeWireCameraSink(w, h, fps)
                        opened.append(pwcam)
                    except OutputError as exc:
                        if not choice.pipewire_optional:
                            raise
                        self._on_error(exc)  # the v4l2loopback device still serves
                if choice.v4l2:
                    vcam = VirtualCameraSink(w, h, fps, device=cfg.output.vcam_device,
                                             backend=choice.pyvirtualcam_backend)
                    opened.append(vcam)
            if cfg.output.record:
                opened.append(VideoFileSink(cfg.output.record, w, h, fps,
                                            overwrite=cfg.output.overwrite))
            if cfg.output.record_mask:
                mask = VideoFileSink(cfg.output.record_mask, w, h, fps, grayscale=True,
                                     overwrite=cfg.output.overwrite)
                opened.append(mask)
        except BaseException:
            self._close_all(opened)
            raise
        self.vcam, self.pipewire, self._mask, self._fps = vcam, pwcam, mask, fps
        self._own = [s for s in opened if s is not mask]

    def _arm(self) -> None:
        """Watch the virtual camera for readers, when its device is a watchable path."""
        self._gone = False
        device = self.vcam.device if self.vcam is not None else None
        if not watchable(device):
            return
        watcher = ReaderWatcher(device)  # type: ignore[arg-type]
        try:
            self._preexisting = watcher.arm() > 0
        except OSError as exc:
            self._on_error(OutputError(
                f"vbg can't watch the virtual camera {device} for apps ({exc.strerror or exc}), "
                "so it keeps the camera on while it runs."))
            return
        self._watcher = watcher

    def _disarm(self) -> None:
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.close()

    @property
    def signal(self) -> bool:
        """True when readers of the virtual camera can be known: a PipeWire node, a watched
        v4l2loopback node, also after it vanished, and no virtual camera at all (then nobody
        can read one). False only for a camera that can't be watched (the OBS camera of
        Windows/macOS, a node inotify can't watch): then someone may be watching."""
        return (self.pipewire is not None or self._watcher is not None or self._gone
                or (self.vcam is None and self.pipewire is None))

    def poll_readers(self) -> tuple[int, bool]:
        """Apps reading the virtual camera now, and whether they were already there when the
        watch was armed (True once after an arm: those are not probes). Never blocks. A PipeWire
        node streaming to its consumers counts as one reader."""
        pw_readers = self.pipewire.readers() if self.pipewire is not None else 0
        watcher = self._watcher
        if watcher is None:
            return pw_readers, False
        try:
            count = watcher.readers()
        except DeviceGone:
            self._watcher, self._gone = None, True
            self._on_error(OutputError(
                f"The virtual camera {watcher.path} disappeared (was v4l2loopback unloaded?); "
                "apps can't see vbg until it is set up again and vbg is turned off and on."))
            return pw_readers, False
        pre, self._preexisting = self._preexisting, False
        return count + pw_readers, pre and count > 0

    @property
    def device(self) -> str | None:
        """The virtual cameras' names ("PipeWire camera “vbg”", "/dev/video2", or both joined
        by " and "), None without one."""
        names = [s.device for s in (self.pipewire, self.vcam) if s is not None]
        return " and ".join(names) if names else None

    @property
    def fps(self) -> float:
        """The rate the sinks were opened with."""
        return self._fps

    def reopen(self, cfg: AppConfig) -> None:
        """Close the configured sinks and open them for ``cfg``; the extra sinks stay.

        On failure the configured sinks stay closed (the extra ones keep receiving) and the
        ``OutputError`` is raised for the caller to report.
        """
        self._disarm()
        self._close_all([*self._own, *([self._mask] if self._mask else [])])
        self._own, self._mask, self.vcam, self.pipewire = [], None, None, None
        self._fps = cfg.output.fps
        self._open(cfg)
        self._arm()

    def send(self, image: np.ndarray, alpha: np.ndarray | None) -> None:
        """``image`` to every picture sink; ``alpha`` (or an all-background mask when None) to
        the mask recording."""
        if self._closed:
            raise RuntimeError("send() after close()")
        for s in self._own:
            s.send(image)
        for s in self._extra:
            s.send(image)
        if self._mask is not None:
            self._mask.send(alpha if alpha is not None else self._zeros(image))

    def _zeros(self, image: np.ndarray) -> np.ndarray:
        z = getattr(self, "_zero_buf", None)
        if z is None or z.shape != image.shape[:2]:
            z = self._zero_buf = np.zeros(image.shape[:2], np.uint8)
        return z

    def close(self) -> None:
        """Close every sink, the extra ones included, exactly once (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._disarm()
        self._close_all([*self._own, *([self._mask] if self._mask else []), *self._extra])
        self._own, self._mask, self.vcam, self._extra = [], None, None, []
        self.pipewire = None

    def _close_all(self, sinks: Sequence[Sink]) -> None:
        for s in sinks:
            try:
                s.close()
            except Exception as exc:  # a failing close must not hide the others
                self._on_error(exc)
