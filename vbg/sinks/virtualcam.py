"""The virtual camera that conferencing apps see, through pyvirtualcam.

When no virtual camera can be opened, pyvirtualcam raises a ``RuntimeError`` joining every
backend's reason; we turn that into one :class:`~vbg.errors.OutputError` that tells the user
the exact fix for their OS (:func:`virtual_camera_help`) and keeps pyvirtualcam's reason in
brackets for support.
"""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pyvirtualcam
from pyvirtualcam.camera import BACKENDS

from vbg.errors import OutputError

# The module options vbg recommends; `exclusive_caps=1` is what makes Chrome (and therefore
# Meet, Teams-in-the-browser, ...) list the device; `max_buffers=2` keeps latency low.
V4L2LOOPBACK_OPTIONS = "devices=1 exclusive_caps=1 card_label=vbg max_buffers=2"
MODPROBE_COMMAND = f"sudo modprobe v4l2loopback {V4L2LOOPBACK_OPTIONS}"

_BUSY_LINUX = re.compile(r"already in use|resource busy|EBUSY", re.IGNORECASE)
_BUSY_OBS = re.compile(r"could not be started", re.IGNORECASE)
_PERMISSION = re.compile(r"permission", re.IGNORECASE)
_NOT_LOOPBACK = re.compile(r"not a video output device|is not a V4L2 device|does not exist")
_DEVICE = re.compile(r"/dev/video\d+")


def _reason_suffix(reason: str) -> str:
    """pyvirtualcam's reasons, on one line, in brackets (for support requests)."""
    flat = "; ".join(line.strip() for line in reason.splitlines() if line.strip())
    return f" [{flat}]" if flat else ""


def virtual_camera_help(
    os_name: str = sys.platform, reason: str = "", *, module_loaded: bool = False
) -> str:
    """The message shown when no virtual camera can be opened: what to do on ``os_name``.

    ``os_name`` is a ``sys.platform`` value ("linux", "win32", "darwin"). ``reason`` is
    pyvirtualcam's error text; it selects the busy / permission cases and is appended in
    brackets. ``module_loaded`` (Linux): v4l2loopback is loaded, so a "no device" failure means
    every loopback device is taken by another program. Pure: no I/O, so tests can check every
    OS from any OS.
    """
    suffix = _reason_suffix(reason)
    if os_name.startswith("linux"):
        match = _DEVICE.search(reason)
        device = match.group(0) if match else None
        if _PERMISSION.search(reason):
            return (
                f"You may not write to {device or 'the virtual camera'}; run "
                "`sudo usermod -a -G video $USER`, log out and in again, then retry." + suffix
            )
        if device and _NOT_LOOPBACK.search(reason):
            return (
                f"{device} is not a free v4l2loopback virtual camera; leave out --vcam-device "
                "to pick one automatically, or name the right /dev/videoN." + suffix
            )
        # A loaded module with no usable device means every device is taken: with
        # exclusive_caps=1 a device another program writes to no longer offers output, so
        # pyvirtualcam skips it and only says "no device found".
        if _BUSY_LINUX.search(reason) or module_loaded:
            subject = (
                f"The virtual camera {device}" if device else "Every v4l2loopback virtual camera"
            )
            return (
                f"{subject} is in use by another program (OBS's virtual camera or another vbg): "
                "close that program, or make a second device with `sudo modprobe -r "
                "v4l2loopback && sudo modprobe v4l2loopback devices=2 exclusive_caps=1 "
                "card_label=vbg,vbg2 max_buffers=2`, then retry." + suffix
            )
        return (
            "No virtual camera found: install v4l2loopback (package v4l2loopback-dkms) and "
            f"load it with `{MODPROBE_COMMAND}` (exclusive_caps=1 is what lets Chrome see "
            "it); to load it at every boot, write `v4l2loopback` to "
            "/etc/modules-load.d/vbg.conf and "
            f"`options v4l2loopback {V4L2LOOPBACK_OPTIONS}` to /etc/modprobe.d/vbg.conf, "
            "then retry." + suffix
        )
    if os_name in ("win32", "cygwin", "darwin"):
        if _BUSY_OBS.search(reason):
            return (
                "The OBS Virtual Camera is in use by another program, usually OBS itself: "
                "click Stop Virtual Camera in OBS, then retry." + suffix
            )
        allow = (
            ", allow its system extension in System Settings > Privacy & Security "
            "(restart if asked)"
            if os_name == "darwin"
            else ""
        )
        return (
            "No virtual camera found: install OBS Studio 30 or newer (https://obsproject.com), "
            f"click Start Virtual Camera once{allow}, click Stop Virtual Camera, then retry."
            + suffix
        )
    return (
        f"Virtual cameras are not supported on {os_name}; record to a file or use the preview "
        "instead." + suffix
    )


class VirtualCameraSink:
    """Frames to a virtual camera (v4l2loopback on Linux, OBS Virtual Camera elsewhere).

    ``device``/``backend`` as in ``pyvirtualcam.Camera`` (None: the first that works). Frames
    are BGR uint8 ``height``×``width``×3. Raises ``OutputError`` with the fix for this OS when
    no virtual camera can be opened. Follows the :mod:`vbg.sinks.base` contract.
    """

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        device: str | None = None,
        backend: str | None = None,
    ) -> None:
        if backend is not None and backend not in BACKENDS:
            raise OutputError(
                f"Virtual camera backend {backend!r} is unknown; use auto, pipewire or v4l2 "
                "(--vcam-backend), or leave it out."
            )
        try:
            # BGR, not the device's native I420: pyvirtualcam's libyuv conversion
            # (RGB24ToI420) is cheaper than converting ourselves with cv2's BGR2YUV_I420
            # (measured: docs/benchmarks.md, "Virtual camera native format").
            self._cam: pyvirtualcam.Camera | None = pyvirtualcam.Camera(
                width,
                height,
                fps,
                fmt=pyvirtualcam.PixelFormat.BGR,
                device=device,
                backend=backend,
            )
        except RuntimeError as exc:
            loaded = sys.platform.startswith("linux") and os.path.isdir("/sys/module/v4l2loopback")
            raise OutputError(
                virtual_camera_help(sys.platform, str(exc), module_loaded=loaded)
            ) from exc
        self.width, self.height, self.fps = width, height, float(fps)
        # Read once: the names are what the UI shows and pyvirtualcam forgets them on close.
        self.device: str = self._cam.device
        self.backend: str = self._cam.backend

    @property
    def frames_sent(self) -> int:
        """Frames delivered so far (0 after close)."""
        return self._cam.frames_sent if self._cam is not None else 0

    def send(self, frame: np.ndarray) -> None:
        """Deliver one BGR frame; ``ValueError``/``TypeError`` on a wrong shape or dtype."""
        if self._cam is None:
            raise RuntimeError("send() after close()")
        try:
            self._cam.send(frame)
        except (RuntimeError, OSError) as exc:
            raise OutputError(
                f"The virtual camera {self.device} stopped accepting frames; restart vbg [{exc}]."
            ) from exc

    def close(self) -> None:
        """Release the device so other programs can use it (idempotent)."""
        cam, self._cam = self._cam, None
        if cam is not None:
            cam.close()
