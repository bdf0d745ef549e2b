"""The virtual camera as a PipeWire node: what browsers (and ``pw-v4l2``-wrapped apps) read
without any kernel module.

:class:`PipeWireCameraSink` publishes one ``pw_stream`` node, named and described ``vbg``, with
``media.class=Video/Source`` and ``media.role=Camera`` (what xdg-desktop-portal's Camera
interface lists, and therefore Chromium and Firefox). It offers I420 (default) and YUY2 at the
configured size and rate; the consumer picks, and a new consumer may pick again.

Who watches comes from the graph, not from a timer: the stream is ``streaming`` while at least
one consumer is linked and running, ``paused`` when none is (:meth:`readers`). While nobody
reads, :meth:`send` returns at once: no conversion, no copy. vbg's node is a *driver*: every
:meth:`send` queues one buffer and triggers one graph cycle, so consumers get exactly vbg's
steady output rate.

Threads: libpipewire runs its own loop thread (``pw_thread_loop``); the callbacks there only
record the state and answer format changes. :meth:`send`, :meth:`readers` and :meth:`close`
come from the pipeline's output thread (the :mod:`vbg.sinks.base` contract) and take the loop's
lock around every libpipewire call.

When the PipeWire daemon goes away (a restart, a crash) the stream falls to ``error`` or
``unconnected``; :meth:`send` then tries to publish again at most every
:data:`RECONNECT_S` and :attr:`problem` says what is wrong meanwhile. Nothing of the camera
frame is ever sent anywhere but this node.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
import time
from collections.abc import Mapping
from fractions import Fraction

import cv2
import numpy as np

from vbg.errors import OutputError
from vbg.sinks import pwlib as pw

log = logging.getLogger(__name__)

NODE_NAME = "vbg"
CONNECT_TIMEOUT_S = 5.0
RECONNECT_S = 2.0
REPUBLISH_TIMEOUT_S = 1.0
# Formats offered, default first: what WebRTC's PipeWire camera (Chromium, Firefox) takes as
# one contiguous block; both are cheap to convert to from BGR with cv2.
FORMATS = {pw.SPA_VIDEO_FORMAT_I420: "I420", pw.SPA_VIDEO_FORMAT_YUY2: "YUY2"}

NO_DAEMON = ("No PipeWire daemon is running for this user, so vbg can't offer its PipeWire "
             "camera; start it (`systemctl --user start pipewire wireplumber`) or use "
             "--vcam-backend v4l2.")
LOST = ("The connection to PipeWire was lost; vbg's camera comes back by itself as soon as "
        "PipeWire runs again.")
NO_LIBRARY = ("PipeWire's library (libpipewire-0.3) is not installed, so vbg can't offer its "
              "PipeWire camera; install the package `libpipewire-0.3-0` or use "
              "--vcam-backend v4l2.")


def daemon_socket(env: Mapping[str, str] | None = None) -> str | None:
    """The path of the PipeWire socket this user's programs would connect to, when it exists
    (``$PIPEWIRE_REMOTE`` or ``pipewire-0`` in ``$XDG_RUNTIME_DIR``); a cheap "is there a
    daemon" check that loads no library."""
    if env is None:
        env = os.environ
    runtime = env.get("PIPEWIRE_RUNTIME_DIR") or env.get("XDG_RUNTIME_DIR")
    remote = env.get("PIPEWIRE_REMOTE", "pipewire-0")
    path = remote if os.path.isabs(remote) else (os.path.join(runtime, remote) if runtime else "")
    return path if path and os.path.exists(path) else None


def frame_bytes(fmt: int, width: int, height: int) -> tuple[int, int]:
    """``(size, stride)`` of one frame in ``fmt`` (one contiguous block, planes in order)."""
    if fmt == pw.SPA_VIDEO_FORMAT_I420:
        return width * height * 3 // 2, width
    if fmt == pw.SPA_VIDEO_FORMAT_YUY2:
        return width * height * 2, width * 2
    raise ValueError(f"unsupported format {fmt}")


def enum_format_pod(fmt: int, width: int, height: int, fps: float) -> bytes:
    """One EnumFormat param: raw video in ``fmt``, ``width``×``height`` at ``fps``, every
    value fixed. One param per format, not one choice of formats: WebRTC's PipeWire camera
    (Chromium, Firefox) skips a format that is still a choice."""
    rate = Fraction(fps).limit_denominator(1001)
    return pw.pod_object(pw.SPA_TYPE_OBJECT_Format, pw.SPA_PARAM_EnumFormat, [
        (pw.SPA_FORMAT_mediaType, pw.pod_id(pw.SPA_MEDIA_TYPE_video)),
        (pw.SPA_FORMAT_mediaSubtype, pw.pod_id(pw.SPA_MEDIA_SUBTYPE_raw)),
        (pw.SPA_FORMAT_VIDEO_format, pw.pod_id(fmt)),
        (pw.SPA_FORMAT_VIDEO_size, pw.pod_rectangle(width, height)),
        (pw.SPA_FORMAT_VIDEO_framerate, pw.pod_fraction(rate.numerator, rate.denominator)),
    ])


def buffers_pod(size: int, stride: int) -> bytes:
    """The Buffers param: 2–8 buffers (4 wanted) of one ``size``-byte block each."""
    return pw.pod_object(pw.SPA_TYPE_OBJECT_ParamBuffers, pw.SPA_PARAM_Buffers, [
        (pw.SPA_PARAM_BUFFERS_buffers, pw.pod_choice_int_range(4, 2, 8)),
        (pw.SPA_PARAM_BUFFERS_blocks, pw.pod_int(1)),
        (pw.SPA_PARAM_BUFFERS_size, pw.pod_int(size)),
        (pw.SPA_PARAM_BUFFERS_stride, pw.pod_int(stride)),
    ])


class _Connection:
    """One context + core + stream on a running thread loop; built and torn down under the
    loop's lock by :class:`PipeWireCameraSink`."""

    def __init__(self, lib: ctypes.CDLL, loop: int, sink: PipeWireCameraSink) -> None:
        self.lib, self.loop = lib, loop
        self.context = self.core = self.stream = None
        self.hook = ctypes.create_string_buffer(pw.SPA_HOOK_SIZE)
        self.events = pw.PwStreamEvents()
        self.events.version = 2
        # Bound methods wrapped once and kept here: ctypes must not collect them while
        # libpipewire holds the pointers.
        self.events.state_changed = pw.STATE_CHANGED(sink._on_state)
        self.events.param_changed = pw.PARAM_CHANGED(sink._on_param)
        self.params, self._keep = pw.pod_array(
            [enum_format_pod(f, sink.width, sink.height, sink.fps) for f in FORMATS])

    def open(self) -> None:
        lib = self.lib
        self.context = lib.pw_context_new(lib.pw_thread_loop_get_loop(self.loop), None, 0)
        if not self.context:
            raise OutputError("PipeWire could not start a client context; restart vbg.")
        self.core = lib.pw_context_connect(self.context, None, 0)
        if not self.core:
            raise OutputError(NO_DAEMON)
        props = lib.pw_properties_new(None)
        for k, v in (("media.class", "Video/Source"), ("media.role", "Camera"),
                     ("media.type", "Video"), ("media.category", "Capture"),
                     ("node.name", NODE_NAME), ("node.description", NODE_NAME),
                     ("node.nick", NODE_NAME), ("application.name", "vbg"),
                     ("node.want-driver", "false")):
            lib.pw_properties_set(props, k.encode(), v.encode())
        self.stream = lib.pw_stream_new(self.core, NODE_NAME.encode(), props)
        if not self.stream:
            raise OutputError("PipeWire refused vbg's camera node; restart PipeWire and vbg.")
        lib.pw_stream_add_listener(self.stream, self.hook, ctypes.byref(self.events), None)
        res = lib.pw_stream_connect(self.stream, pw.PW_DIRECTION_OUTPUT, pw.PW_ID_ANY,
                                    pw.PW_STREAM_FLAG_DRIVER | pw.PW_STREAM_FLAG_MAP_BUFFERS,
                                    self.params, len(self._keep))
        if res < 0:
            raise OutputError(f"PipeWire refused vbg's camera node ({os.strerror(-res)}); "
                              "restart PipeWire and vbg.")

    def destroy(self) -> None:
        """Remove the node and drop the connection (idempotent)."""
        lib = self.lib
        stream, self.stream = self.stream, None
        if stream:
            lib.pw_stream_disconnect(stream)
            lib.pw_stream_destroy(stream)
        core, self.core = self.core, None
        if core:
            lib.pw_core_disconnect(core)
        context, self.context = self.context, None
        if context:
            lib.pw_context_destroy(context)


class PipeWireCameraSink:
    """BGR frames (uint8 ``height``×``width``×3) to the PipeWire camera node ``vbg``.

    Raises :class:`~vbg.errors.OutputError` with one sentence when there is no library, no
    daemon, or the node is refused (also when it isn't published within ``timeout`` seconds).
    Follows the :mod:`vbg.sinks.base` contract; see the module docstring for threads.
    """

    backend = "pipewire"

    def __init__(self, width: int, height: int, fps: float,
                 timeout: float = CONNECT_TIMEOUT_S) -> None:
        try:
            self._lib = pw.load()
        except OSError as exc:
            raise OutputError(NO_LIBRARY) from exc
        self.width, self.height, self.fps = width, height, float(fps)
        self.device = f"PipeWire camera \u201c{NODE_NAME}\u201d"
        self.problem: str | None = None
        self.frames_sent = 0
        self._timeout = timeout
        self._state = pw.STATE_UNCONNECTED
        self._error = ""
        self._changed = threading.Condition()
        self._fmt: tuple[int, int, int] | None = None  # (format, size, stride) negotiated
        self._out: np.ndarray | None = None
        self._last_try = 0.0
        self._conn: _Connection | None = None
        self._loop = self._lib.pw_thread_loop_new(b"vbg-pipewire", None)
        if not self._loop or self._lib.pw_thread_loop_start(self._loop) < 0:
            raise OutputError("PipeWire could not start its loop thread; restart vbg.")
        try:
            self._publish()
        except BaseException:
            self._stop_loop()
            raise

    # ---- callbacks, on libpipewire's loop thread (its lock held) --------------------------
    def _on_state(self, _data, old: int, state: int, error: bytes | None) -> None:
        with self._changed:
            self._state = state
            self._error = error.decode(errors="replace") if error else ""
            self._changed.notify_all()
        log.debug("PipeWire camera: %s -> %s %s", pw.STATE_NAMES.get(old),
                  pw.STATE_NAMES.get(state), self._error)

    def _on_param(self, _data, param_id: int, param: int | None) -> None:
        if param_id != pw.SPA_PARAM_Format or not param:
            return
        try:
            props = pw.pod_props(pw.pod_bytes(param))
            fmt = int(props.get(pw.SPA_FORMAT_VIDEO_format) or 0)
            size, stride = frame_bytes(fmt, self.width, self.height)
        except ValueError as exc:
            log.warning("PipeWire camera: a consumer asked for a format vbg can't give (%s)", exc)
            return
        self._fmt = (fmt, size, stride)
        conn = self._conn
        if conn is not None and conn.stream:
            arr, keep = pw.pod_array([buffers_pod(size, stride)])
            self._lib.pw_stream_update_params(conn.stream, arr, 1)
            del keep
        log.info("PipeWire camera: a consumer takes %s %dx%d", FORMATS[fmt], self.width,
                 self.height)

    # ---- publishing ----------------------------------------------------------------------
    def _publish(self, timeout: float | None = None) -> None:
        """Connect and publish the node; waits until it is listed (``paused``), at most
        ``timeout`` seconds (default: the constructor's)."""
        lib = self._lib
        with self._changed:
            self._state, self._error = pw.STATE_UNCONNECTED, ""
        conn = _Connection(lib, self._loop, self)
        lib.pw_thread_loop_lock(self._loop)
        try:
            self._conn = conn
            conn.open()
        except BaseException:
            conn.destroy()
            self._conn = None
            raise
        finally:
            lib.pw_thread_loop_unlock(self._loop)
        deadline = time.monotonic() + (self._timeout if timeout is None else timeout)
        with self._changed:
            while self._state in (pw.STATE_UNCONNECTED, pw.STATE_CONNECTING):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            state, error = self._state, self._error
        if state not in (pw.STATE_PAUSED, pw.STATE_STREAMING):
            self._drop()
            why = f" ({error})" if error else ""
            raise OutputError(f"PipeWire did not publish vbg's camera node{why}; restart "
                              "PipeWire (`systemctl --user restart pipewire wireplumber`) "
                              "and vbg.")
        self.problem = None
        log.info("PipeWire camera published as node %s",
                 lib.pw_stream_get_node_id(conn.stream))

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._lib.pw_thread_loop_lock(self._loop)
            try:
                conn.destroy()
            finally:
                self._lib.pw_thread_loop_unlock(self._loop)
        self._fmt = None

    @property
    def node_id(self) -> int | None:
        """The node's id in the graph now (changes when vbg republishes), None when not
        published."""
        conn = self._conn
        if conn is None or not conn.stream or self.broken:
            return None
        return int(self._lib.pw_stream_get_node_id(conn.stream))

    @property
    def broken(self) -> bool:
        """The connection to PipeWire is lost (daemon restarted or gone)."""
        return self._conn is None or self._state in (pw.STATE_ERROR, pw.STATE_UNCONNECTED)

    def readers(self) -> int:
        """1 while a consumer streams from the node, else 0 (the graph's own word; PipeWire
        runs one stream for all its consumers, so it can't be counted per app here)."""
        return 1 if self._state == pw.STATE_STREAMING and self._conn is not None else 0

    def _repair(self) -> None:
        now = time.monotonic()
        if now - self._last_try < RECONNECT_S:
            return
        self._last_try = now
        was = self.problem
        self._drop()
        try:
            # Short: this runs on the output thread, which must not stall the other outputs.
            self._publish(timeout=REPUBLISH_TIMEOUT_S)
        except OutputError as exc:
            self.problem = LOST
            if was != self.problem:
                log.warning("%s [%s]", LOST, exc)
            return
        log.info("PipeWire camera published again after the connection was lost")

    # ---- the sink contract ---------------------------------------------------------------
    def send(self, frame: np.ndarray) -> None:
        """Deliver one BGR frame to the consumers, if any; returns at once when none reads."""
        if self._loop is None:
            raise RuntimeError("send() after close()")
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise ValueError(f"expected a {self.height}x{self.width}x3 uint8 frame, got "
                             f"{frame.shape} {frame.dtype}")
        if self.broken:
            self._repair()
            return
        fmt = self._fmt
        if self._state != pw.STATE_STREAMING or fmt is None:
            return
        code, size, _stride = fmt
        out = self._out
        if out is None or out.nbytes != size:
            out = self._out = np.empty(size, np.uint8)
        if code == pw.SPA_VIDEO_FORMAT_I420:
            cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420,
                         dst=out.reshape(self.height * 3 // 2, self.width))
        else:
            cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_YUY2,
                         dst=out.reshape(self.height, self.width, 2))
        self._queue(out, size, fmt)

    def _queue(self, out: np.ndarray, size: int, fmt: tuple[int, int, int]) -> None:
        lib, loop = self._lib, self._loop
        lib.pw_thread_loop_lock(loop)
        try:
            conn = self._conn
            if conn is None or not conn.stream or self._fmt != fmt:
                return  # renegotiated meanwhile: the next frame uses the new format
            b = lib.pw_stream_dequeue_buffer(conn.stream)
            if not b:
                return  # every buffer is with the consumers: drop this frame (latest wins)
            spa = b.contents.buffer.contents
            if spa.n_datas >= 1:
                d = spa.datas[0]
                if d.data and d.maxsize >= size:
                    ctypes.memmove(d.data, out.ctypes.data, size)
                    d.chunk.contents.offset = 0
                    d.chunk.contents.size = size
                    d.chunk.contents.stride = fmt[2]
                else:
                    d.chunk.contents.size = 0
            lib.pw_stream_queue_buffer(conn.stream, b)
            if lib.pw_stream_is_driving(conn.stream):
                lib.pw_stream_trigger_process(conn.stream)
            self.frames_sent += 1
        finally:
            lib.pw_thread_loop_unlock(loop)

    def _stop_loop(self) -> None:
        loop, self._loop = self._loop, None
        if loop:
            self._lib.pw_thread_loop_stop(loop)
            self._lib.pw_thread_loop_destroy(loop)

    def close(self) -> None:
        """Remove the node from the graph and stop the loop thread (idempotent)."""
        if self._loop is None:
            return
        self._drop()
        self._stop_loop()
