"""A thin ctypes binding to libpipewire-0.3: just what a video source stream needs.

Why ctypes (docs/architecture.md, *The PipeWire camera*): no maintained Python binding
publishes a video node. GStreamer's ``pipewiresink`` (through PyGObject) stalls after its first
browser consumer leaves with PipeWire 0.3.65, and PyPI's PyGObject needs a newer GLib than
Debian 12 has; the PyPI ``pipewire*`` packages are capture-only or controllers. libpipewire's
``pw_stream`` is the maintained library that does the protocol; this module only declares its
functions and the few structs whose fields we touch, as laid out in
``pipewire/stream.h`` and ``spa/buffer/buffer.h`` (stable ABI since 0.3).

SPA "pods" (the typed parameter blobs: the formats we offer, the buffer sizes we want) are built
by header-only inline functions in C, which ctypes can't call, so :func:`pod_object` writes the
same bytes: each pod is ``(size: u32, type: u32, body)`` padded to 8 bytes, an object body is
``(object type, param id)`` then ``(key: u32, flags: u32, pod)`` per property, a choice body
``(choice type, flags, child size, child type)`` then the packed child values
(``spa/pod/pod.h``). :func:`pod_props` reads such an object back (the format a consumer chose).

Nothing here is called at import time: :func:`load` opens the library on first use and raises
``OSError`` when it is missing (a desktop without PipeWire).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
from typing import Any

# spa/utils/type.h
SPA_TYPE_Id, SPA_TYPE_Int = 3, 4
SPA_TYPE_Rectangle, SPA_TYPE_Fraction = 10, 11
SPA_TYPE_Object, SPA_TYPE_Choice = 15, 19
SPA_TYPE_OBJECT_Format, SPA_TYPE_OBJECT_ParamBuffers = 0x40003, 0x40004
# spa/pod/pod.h
SPA_CHOICE_None, SPA_CHOICE_Range, SPA_CHOICE_Enum = 0, 1, 3
# spa/param/param.h
SPA_PARAM_EnumFormat, SPA_PARAM_Format, SPA_PARAM_Buffers = 3, 4, 5
# spa/param/format.h
SPA_FORMAT_mediaType, SPA_FORMAT_mediaSubtype = 1, 2
SPA_FORMAT_VIDEO_format, SPA_FORMAT_VIDEO_size, SPA_FORMAT_VIDEO_framerate = (
    0x20001, 0x20003, 0x20004)
SPA_MEDIA_TYPE_video, SPA_MEDIA_SUBTYPE_raw = 2, 1
# spa/param/video/raw.h
SPA_VIDEO_FORMAT_I420, SPA_VIDEO_FORMAT_YUY2 = 2, 4
# spa/param/buffers.h
SPA_PARAM_BUFFERS_buffers, SPA_PARAM_BUFFERS_blocks = 1, 2
SPA_PARAM_BUFFERS_size, SPA_PARAM_BUFFERS_stride = 3, 4
# pipewire/stream.h
PW_DIRECTION_OUTPUT = 1
PW_ID_ANY = 0xFFFFFFFF
PW_STREAM_FLAG_MAP_BUFFERS, PW_STREAM_FLAG_DRIVER = 1 << 2, 1 << 3
STATE_ERROR, STATE_UNCONNECTED, STATE_CONNECTING, STATE_PAUSED, STATE_STREAMING = (
    -1, 0, 1, 2, 3)
STATE_NAMES = {-1: "error", 0: "unconnected", 1: "connecting", 2: "paused", 3: "streaming"}


# ---------------------------------------------------------------- pods ---------------------

def _pod(type_: int, body: bytes) -> bytes:
    pad = (-len(body)) % 8
    return struct.pack("<II", len(body), type_) + body + b"\0" * pad


def pod_id(v: int) -> bytes:
    return _pod(SPA_TYPE_Id, struct.pack("<I", v))


def pod_int(v: int) -> bytes:
    return _pod(SPA_TYPE_Int, struct.pack("<i", v))


def pod_rectangle(w: int, h: int) -> bytes:
    return _pod(SPA_TYPE_Rectangle, struct.pack("<II", w, h))


def pod_fraction(num: int, den: int) -> bytes:
    return _pod(SPA_TYPE_Fraction, struct.pack("<II", num, den))


def pod_choice_id(default: int, *alternatives: int) -> bytes:
    """An enum choice of ids: the default first, then every allowed value (itself included)."""
    values = (default, default, *alternatives)
    body = struct.pack("<IIII", SPA_CHOICE_Enum, 0, 4, SPA_TYPE_Id)
    body += b"".join(struct.pack("<I", v) for v in values)
    return _pod(SPA_TYPE_Choice, body)


def pod_choice_int_range(default: int, lo: int, hi: int) -> bytes:
    body = struct.pack("<IIII", SPA_CHOICE_Range, 0, 4, SPA_TYPE_Int)
    body += struct.pack("<iii", default, lo, hi)
    return _pod(SPA_TYPE_Choice, body)


def pod_object(obj_type: int, param_id: int, props: list[tuple[int, bytes]]) -> bytes:
    """An object pod: ``props`` are ``(key, value pod)``, written in order, no flags."""
    body = struct.pack("<II", obj_type, param_id)
    body += b"".join(struct.pack("<II", key, 0) + value for key, value in props)
    return _pod(SPA_TYPE_Object, body)


def _read_value(type_: int, body: bytes) -> Any:
    if type_ in (SPA_TYPE_Id, SPA_TYPE_Int):
        return struct.unpack_from("<i" if type_ == SPA_TYPE_Int else "<I", body)[0]
    if type_ in (SPA_TYPE_Rectangle, SPA_TYPE_Fraction):
        return struct.unpack_from("<II", body)
    if type_ == SPA_TYPE_Choice:  # a fixed format is sometimes still wrapped: take the default
        _ctype, _flags, csize, ctype_ = struct.unpack_from("<IIII", body)
        return _read_value(ctype_, body[16:16 + csize])
    return None


def pod_props(data: bytes) -> dict[int, Any]:
    """The properties of an object pod (ids, ints, rectangles, fractions; others None).

    Raises ``ValueError`` when ``data`` is not an object pod or runs short.
    """
    if len(data) < 16:
        raise ValueError("pod too short")
    size, type_ = struct.unpack_from("<II", data)
    if type_ != SPA_TYPE_Object or len(data) < 8 + size:
        raise ValueError("not an object pod")
    end, pos, out = 8 + size, 16, {}
    while pos + 16 <= end:
        key, _flags, vsize, vtype = struct.unpack_from("<IIII", data, pos)
        body = data[pos + 16:pos + 16 + vsize]
        if len(body) < vsize:
            raise ValueError("pod property runs past the object")
        out[key] = _read_value(vtype, body)
        pos += 16 + vsize + ((-vsize) % 8)
    return out


def pod_bytes(ptr: int) -> bytes:
    """The whole pod at address ``ptr`` (a ``const struct spa_pod *`` from a callback)."""
    size, _type = struct.unpack("<II", ctypes.string_at(ptr, 8))
    return ctypes.string_at(ptr, 8 + size)


# ---------------------------------------------------------------- structs ------------------

class SpaChunk(ctypes.Structure):
    _fields_ = [("offset", ctypes.c_uint32), ("size", ctypes.c_uint32),
                ("stride", ctypes.c_int32), ("flags", ctypes.c_int32)]


class SpaData(ctypes.Structure):
    _fields_ = [("type", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("fd", ctypes.c_int64), ("mapoffset", ctypes.c_uint32),
                ("maxsize", ctypes.c_uint32), ("data", ctypes.c_void_p),
                ("chunk", ctypes.POINTER(SpaChunk))]


class SpaBuffer(ctypes.Structure):
    _fields_ = [("n_metas", ctypes.c_uint32), ("n_datas", ctypes.c_uint32),
                ("metas", ctypes.c_void_p), ("datas", ctypes.POINTER(SpaData))]


class PwBuffer(ctypes.Structure):
    _fields_ = [("buffer", ctypes.POINTER(SpaBuffer)), ("user_data", ctypes.c_void_p),
                ("size", ctypes.c_uint64), ("requested", ctypes.c_uint64)]


STATE_CHANGED = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                 ctypes.c_char_p)
PARAM_CHANGED = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
VOID_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


class PwStreamEvents(ctypes.Structure):
    """``struct pw_stream_events``, version 2; unused callbacks stay NULL."""

    _fields_ = [("version", ctypes.c_uint32),
                ("destroy", ctypes.c_void_p),
                ("state_changed", STATE_CHANGED),
                ("control_info", ctypes.c_void_p),
                ("io_changed", ctypes.c_void_p),
                ("param_changed", PARAM_CHANGED),
                ("add_buffer", ctypes.c_void_p),
                ("remove_buffer", ctypes.c_void_p),
                ("process", VOID_CB),
                ("drained", ctypes.c_void_p),
                ("command", ctypes.c_void_p),
                ("trigger_done", ctypes.c_void_p)]


# struct spa_hook: a list link (2 pointers), callbacks (2), removed (1), priv (1). Kept as
# opaque zeroed memory that libpipewire fills; twice the size for safety.
SPA_HOOK_SIZE = 12 * ctypes.sizeof(ctypes.c_void_p)

_P = ctypes.c_void_p
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "pw_init": (None, [_P, _P]),
    "pw_get_library_version": (ctypes.c_char_p, []),
    "pw_thread_loop_new": (_P, [ctypes.c_char_p, _P]),
    "pw_thread_loop_get_loop": (_P, [_P]),
    "pw_thread_loop_start": (ctypes.c_int, [_P]),
    "pw_thread_loop_stop": (None, [_P]),
    "pw_thread_loop_destroy": (None, [_P]),
    "pw_thread_loop_lock": (None, [_P]),
    "pw_thread_loop_unlock": (None, [_P]),
    "pw_context_new": (_P, [_P, _P, ctypes.c_size_t]),
    "pw_context_destroy": (None, [_P]),
    "pw_context_connect": (_P, [_P, _P, ctypes.c_size_t]),
    "pw_core_disconnect": (ctypes.c_int, [_P]),
    "pw_properties_new": (_P, [_P]),  # called with NULL only (the list's sentinel)
    "pw_properties_set": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "pw_stream_new": (_P, [_P, ctypes.c_char_p, _P]),
    "pw_stream_add_listener": (None, [_P, _P, ctypes.POINTER(PwStreamEvents), _P]),
    "pw_stream_connect": (ctypes.c_int, [_P, ctypes.c_int, ctypes.c_uint32, ctypes.c_int,
                                         ctypes.POINTER(_P), ctypes.c_uint32]),
    "pw_stream_update_params": (ctypes.c_int, [_P, ctypes.POINTER(_P), ctypes.c_uint32]),
    "pw_stream_get_node_id": (ctypes.c_uint32, [_P]),
    "pw_stream_disconnect": (ctypes.c_int, [_P]),
    "pw_stream_destroy": (None, [_P]),
    "pw_stream_dequeue_buffer": (ctypes.POINTER(PwBuffer), [_P]),
    "pw_stream_queue_buffer": (ctypes.c_int, [_P, ctypes.POINTER(PwBuffer)]),
    "pw_stream_is_driving": (ctypes.c_bool, [_P]),
    "pw_stream_trigger_process": (ctypes.c_int, [_P]),
}

_lib: ctypes.CDLL | None = None


def load() -> ctypes.CDLL:
    """libpipewire-0.3, initialised once; ``OSError`` when it isn't installed."""
    global _lib
    if _lib is None:
        name = ctypes.util.find_library("pipewire-0.3") or "libpipewire-0.3.so.0"
        lib = ctypes.CDLL(name, use_errno=True)
        for fn, (restype, argtypes) in _SIGNATURES.items():
            f = getattr(lib, fn)
            f.restype, f.argtypes = restype, argtypes
        lib.pw_init(None, None)
        _lib = lib
    return _lib


def library_version() -> str | None:
    """libpipewire's version ("0.3.65"), None without the library."""
    try:
        return load().pw_get_library_version().decode()
    except OSError:
        return None


def pod_array(pods: list[bytes]) -> tuple[Any, list[Any]]:
    """``(const struct spa_pod **, keep-alive buffers)`` for ``pods``."""
    bufs = [ctypes.create_string_buffer(p, len(p)) for p in pods]
    arr = (_P * len(bufs))(*[ctypes.cast(b, _P) for b in bufs])
    return arr, bufs
