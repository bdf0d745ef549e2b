"""The PipeWire camera's pure parts: SPA pods as PipeWire lays them out, the choice of virtual
camera, the daemon check. The node itself is read by real consumers in tests/e2e."""

from __future__ import annotations

import struct

import pytest

from vbg.errors import OutputError
from vbg.pipeline.sinkset import VcamChoice, choose_vcams
from vbg.sinks import pwlib as pw
from vbg.sinks.pipewire import (
    NO_DAEMON,
    PipeWireCameraSink,
    buffers_pod,
    daemon_socket,
    enum_format_pod,
    frame_bytes,
)


def test_an_id_pod_is_size_type_value_and_padding_to_eight_bytes():
    # spa/pod/pod.h: struct spa_pod_id { struct spa_pod pod (size 4, type 3); uint32 value;
    # int32 _padding; }
    assert pw.pod_id(2) == bytes([4, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0])
    # a rectangle body is 8 bytes: no padding
    assert pw.pod_rectangle(640, 360) == struct.pack("<IIII", 8, 10, 640, 360)


def test_an_enum_choice_lists_the_default_twice_then_the_alternatives():
    pod = pw.pod_choice_id(2, 2, 4)
    size, type_, choice, flags, csize, ctype = struct.unpack_from("<IIIIII", pod)
    assert (type_, choice, flags, csize, ctype) == (19, 3, 0, 4, 3)
    values = struct.unpack_from("<IIII", pod, 24)
    assert values == (2, 2, 2, 4)
    assert size == 16 + 16 and len(pod) == 8 + 32


def test_the_format_offered_reads_back_with_fixed_values():
    pod = enum_format_pod(pw.SPA_VIDEO_FORMAT_YUY2, 1280, 720, 29.97)
    assert len(pod) % 8 == 0
    obj_type, param = struct.unpack_from("<II", pod, 8)
    assert (obj_type, param) == (0x40003, 3)  # Format object, EnumFormat param
    props = pw.pod_props(pod)
    assert props[pw.SPA_FORMAT_mediaType] == 2 and props[pw.SPA_FORMAT_mediaSubtype] == 1
    assert props[pw.SPA_FORMAT_VIDEO_format] == 4
    assert props[pw.SPA_FORMAT_VIDEO_size] == (1280, 720)
    assert props[pw.SPA_FORMAT_VIDEO_framerate] == (2997, 100)


def test_a_choice_is_read_as_its_default_and_a_short_pod_is_refused():
    pod = pw.pod_object(pw.SPA_TYPE_OBJECT_ParamBuffers, pw.SPA_PARAM_Buffers,
                        [(1, pw.pod_choice_int_range(4, 2, 8))])
    assert pw.pod_props(pod) == {1: 4}
    with pytest.raises(ValueError):
        pw.pod_props(pod[:-8])
    with pytest.raises(ValueError):
        pw.pod_props(pw.pod_id(3))


def test_buffers_ask_for_one_block_of_the_frame_size():
    props = pw.pod_props(buffers_pod(1382400, 1280))
    assert props == {pw.SPA_PARAM_BUFFERS_buffers: 4, pw.SPA_PARAM_BUFFERS_blocks: 1,
                     pw.SPA_PARAM_BUFFERS_size: 1382400, pw.SPA_PARAM_BUFFERS_stride: 1280}


def test_frame_sizes_of_the_offered_formats():
    assert frame_bytes(pw.SPA_VIDEO_FORMAT_I420, 1280, 720) == (1280 * 720 * 3 // 2, 1280)
    assert frame_bytes(pw.SPA_VIDEO_FORMAT_YUY2, 640, 360) == (640 * 360 * 2, 1280)
    with pytest.raises(ValueError):
        frame_bytes(16, 640, 360)


@pytest.mark.parametrize("backend,pw_up,loaded,expected", [
    (None, True, False, VcamChoice(pipewire=True, v4l2=False)),
    ("auto", True, True, VcamChoice(pipewire=True, v4l2=True, pipewire_optional=True)),
    ("auto", False, True, VcamChoice(pipewire=False, v4l2=True)),
    ("auto", False, False, VcamChoice(pipewire=False, v4l2=True)),
    ("pipewire", False, True, VcamChoice(pipewire=True, v4l2=False)),
    ("v4l2", True, True, VcamChoice(pipewire=False, v4l2=True)),
    ("vbg-recording", True, False,
     VcamChoice(pipewire=False, v4l2=True, pyvirtualcam_backend="vbg-recording")),
])
def test_which_virtual_cameras_open(backend, pw_up, loaded, expected):
    assert choose_vcams(backend, pipewire=pw_up, v4l2loopback=loaded, os_name="linux") == expected


def test_auto_elsewhere_is_the_obs_camera():
    assert choose_vcams("auto", pipewire=True, v4l2loopback=False,
                        os_name="win32") == VcamChoice(pipewire=False, v4l2=True)


def test_the_daemon_socket_is_found_where_clients_look(tmp_path):
    assert daemon_socket({"XDG_RUNTIME_DIR": str(tmp_path)}) is None
    (tmp_path / "pipewire-0").touch()
    assert daemon_socket({"XDG_RUNTIME_DIR": str(tmp_path)}) == str(tmp_path / "pipewire-0")
    other = tmp_path / "elsewhere"
    other.touch()
    assert daemon_socket({"PIPEWIRE_REMOTE": str(other)}) == str(other)
    assert daemon_socket({}) is None


def test_no_daemon_is_one_sentence_not_a_hang(tmp_path, monkeypatch):
    try:
        pw.load()
    except OSError:
        pytest.skip("libpipewire-0.3 is not installed here")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("PIPEWIRE_REMOTE", raising=False)
    monkeypatch.delenv("PIPEWIRE_RUNTIME_DIR", raising=False)
    with pytest.raises(OutputError) as info:
        PipeWireCameraSink(64, 36, 30.0, timeout=2.0)
    assert str(info.value) == NO_DAEMON
