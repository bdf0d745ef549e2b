"""Real media files through PyAV (FFmpeg's maintained Python binding): the writers for what
``vbg video`` and ``vbg run --record`` produce (the reader, a source, is
:class:`vbg.capture.media.MediaReader`).

PyAV is an optional extra (``pip install 'vbg[video]'``): its wheels weigh ~100 MB and carry
an FFmpeg built with x264 (GPL), so the MIT desktop bundle leaves it out and keeps OpenCV's
writer for ``--record``. :func:`vbg.imaging.load_av` says so in one sentence when it is
missing.

Outputs (the extension of the path picks one, see :func:`output_kind`):

- ``.mp4`` / ``.m4v`` / ``.mkv``: H.264 (libx264, yuv420p, CRF 18) — plays in browsers and on
  phones. IN's sound is stream-copied when the container takes its codec, else re-encoded
  to AAC.
- ``.webm``: VP9 with alpha (yuva420p), sound as Opus; ``.mov``: ProRes 4444 with alpha, sound
  as AAC (or copied). Both keep the person with a transparent background, for editors.
- a path without an extension: a folder of numbered transparent PNGs (no sound).
- the mask (``--mask``, ``.mkv`` only): FFV1, 8-bit grey, lossless, one frame per input frame.

Every writer writes to a hidden temporary name beside the destination and renames it into
place only in :meth:`MediaWriter.finish`; :meth:`MediaWriter.abort` removes it. Those that a
killed vbg left behind are removed at the next write into the same folder. A failing write
(full disk, vanished folder) raises :class:`~vbg.errors.OutputError` naming the destination.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from vbg.errors import OutputError, reason
from vbg.fileio import (
    create_temporary_beside,
    move_into_place,
    remove_stale_temporaries,
    rename_no_replace,
)
from vbg.imaging import load_av

log = logging.getLogger(__name__)

H264_EXTENSIONS = frozenset({".mp4", ".m4v", ".mkv"})
ALPHA_EXTENSIONS = frozenset({".webm", ".mov"})
MASK_EXTENSIONS = frozenset({".mkv"})

# Audio codecs each container takes as they are (stream copy); anything else is re-encoded.
_COPYABLE_AUDIO: dict[str, frozenset[str]] = {
    ".mp4": frozenset({"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}),
    ".m4v": frozenset({"aac", "mp3", "alac", "ac3", "eac3"}),
    ".mov": frozenset({"aac", "mp3", "alac", "ac3", "pcm_s16le", "pcm_s24le"}),
    ".webm": frozenset({"opus", "vorbis"}),
}
_REENCODE_AUDIO = {".webm": "libopus"}  # everything else: "aac"
_AUDIO_FRAME_SIZE = {"aac": 1024, "libopus": 960}

X264_OPTIONS = {"crf": "18", "preset": "veryfast"}
VP9_OPTIONS = {"deadline": "realtime", "cpu-used": "8", "row-mt": "1", "crf": "30", "b": "0"}
PRORES_OPTIONS = {"profile": "4444"}


def output_kind(path: Path) -> str:
    """``"h264"``, ``"alpha"`` (VP9/ProRes with transparency) or ``"png"`` (a folder of
    transparent PNGs) for an output path; OutputError for an extension vbg can't write."""
    ext = path.suffix.lower()
    if ext in H264_EXTENSIONS:
        return "h264"
    if ext in ALPHA_EXTENSIONS:
        return "alpha"
    if ext == "" or path.is_dir():
        return "png"
    raise OutputError(
        f"Cannot write {path}: use .mp4 (H.264), .webm (VP9 with transparency), .mov (ProRes "
        "4444 with transparency), or a name without extension for a folder of PNGs."
    )


def _is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)


def write_failed(path: Path, exc: BaseException) -> OutputError:
    """The one sentence for a write that failed mid-way."""
    if _is_disk_full(exc):
        return OutputError(f"The disk is full, so {path} could not be written; free some space "
                           "or choose another folder.")
    reason = getattr(exc, "strerror", None) or str(exc)
    return OutputError(f"Writing {path} failed ({reason}); check the folder and try again.")


# ------------------------------------------------------------------------------------- writing
def remove_killed_runs_leftovers(path: Path) -> None:
    """Before writing to ``path``: remove the temporary files and PNG folders that a killed
    vbg (``kill -9``, a crash, a power cut) left in its folder, of dead pids only (see
    :func:`vbg.fileio.remove_stale_temporaries`)."""
    for stale in remove_stale_temporaries(path, whole_folder=True):
        log.info("removed %s, left behind by a vbg that was killed", stale)


class MediaWriter:
    """Writes one output file (or PNG folder) of ``width``×``height`` at ``rate``.

    ``kind``: ``"h264"`` (BGR in), ``"alpha"`` (BGRA in: VP9 in .webm, ProRes 4444 in .mov),
    ``"png"`` (BGRA in, a folder of PNGs) or ``"mask"`` (H×W grey in, FFV1). ``time_base``:
    the unit of the ``pts`` passed to :meth:`write` (the input's, so timing and sync with
    the sound are kept exactly); None: frames are numbered at ``rate``. ``audio``: the
    reader's audio stream, copied when the container takes its codec, else re-encoded.
    ``color``: the input's colour tags (:attr:`MediaReader.color`) to write with the picture.
    Odd sizes are cropped by one pixel (the encoders need even sizes).

    Nothing appears at ``path`` until :meth:`finish`; :meth:`abort` removes everything
    written. Write failures raise OutputError (disk full named as such).
    """

    def __init__(self, path: str | os.PathLike[str], kind: str, width: int, height: int,
                 rate: Fraction, time_base: Fraction | None = None, audio: Any = None,
                 color: tuple[int, int, int, int] | None = None) -> None:
        self.av = load_av()
        self.path = Path(path)
        self.kind = kind
        self.frames_written = 0
        self.width, self.height = width - width % 2, height - height % 2
        self._rate = Fraction(rate).limit_denominator(1_000_000)
        self._time_base = time_base
        self._container: Any = None
        self._audio_in = audio
        self._audio_out: Any = None  # the output's audio stream (PyAV), when there is sound
        self._resampler: Any = None  # only when the sound is re-encoded
        self._audio_copy = False
        self._color = color
        self._published: Path | None = None  # where publish() put the result
        self._merged: list[Path] = []  # the frame files publish() put into a user's folder
        remove_killed_runs_leftovers(self.path)
        # (a PNG folder: a hidden folder beside the destination, renamed at the end)
        self.tmp = self.path.parent / f".{self.path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        try:
            if kind == "png":
                self.tmp.mkdir()
            else:
                # Created now (FFmpeg opens it only at the first packet), so an unwritable
                # folder fails here; with the mode a new file gets (see vbg.fileio).
                self.tmp = create_temporary_beside(self.path, suffix=f".part{self.path.suffix}")
                self._open(audio)
        except OutputError:
            self.abort()
            raise
        except (OSError, self.av.FFmpegError, ValueError) as exc:
            self.abort()
            raise OutputError(f"Cannot write {self.path} ({reason(exc)}); choose another "
                              "folder or name.") from exc

    def _open(self, audio: Any) -> None:
        av = self.av
        ext = self.path.suffix.lower()
        c = self._container = av.open(str(self.tmp), "w")
        if self.kind == "h264":
            codec, pix, opts = "libx264", "yuv420p", X264_OPTIONS
        elif self.kind == "mask":
            codec, pix, opts = "ffv1", "gray", {}
        elif ext == ".webm":
            codec, pix, opts = "libvpx-vp9", "yuva420p", VP9_OPTIONS
        else:
            codec, pix, opts = "prores_ks", "yuva444p10le", PRORES_OPTIONS
        v = self._video = c.add_stream(codec, rate=self._rate, options=dict(opts))
        v.width, v.height, v.pix_fmt = self.width, self.height, pix
        if self._time_base is not None:
            v.time_base = self._time_base
        if self._color is not None and self.kind != "mask":
            cc = v.codec_context
            cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = self._color
        if audio is not None and self.kind != "mask":
            name = audio.codec_context.name
            if name in _COPYABLE_AUDIO.get(ext, frozenset()) or ext == ".mkv":
                self._audio_out = c.add_stream_from_template(audio)
                self._audio_copy = True
            else:
                cc = audio.codec_context
                rate = cc.sample_rate or 48000
                enc = _REENCODE_AUDIO.get(ext, "aac")
                if enc == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
                    rate = 48000
                self._audio_out = c.add_stream(enc, rate=rate)
                # "mono"/"stereo" by channel count: files with an unnamed layout ("1 channels")
                # would be refused by the encoder.
                layout = "mono" if cc.layout and cc.layout.nb_channels == 1 else "stereo"
                self._audio_out.layout = layout
                self._resampler = av.AudioResampler(
                    format=self._audio_out.codec_context.codec.audio_formats[0].name,
                    layout=layout, rate=rate,
                    frame_size=_AUDIO_FRAME_SIZE[enc])  # the encoders take fixed-size frames
                log.info("sound re-encoded: %s -> %s", name, enc)

    @property
    def audio_copied(self) -> bool:
        """True when the input's sound is stream-copied (False: re-encoded, or none)."""
        return self._audio_copy

    # -------------------------------------------------------------------------- frames
    def write(self, image: np.ndarray, pts: int | None = None) -> None:
        """Append one frame (see the class doc for the layout per kind)."""
        image = image[: self.height, : self.width]
        try:
            if self.kind == "png":
                self._write_png(image)
            else:
                fmt = {"h264": "bgr24", "mask": "gray", "alpha": "bgra"}[self.kind]
                frame = self.av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format=fmt)
                if pts is not None and self._time_base is not None:
                    frame.pts, frame.time_base = pts, self._time_base
                else:
                    frame.pts = self.frames_written
                    frame.time_base = 1 / self._rate
                for packet in self._video.encode(frame):
                    self._container.mux(packet)
        except (OSError, self.av.FFmpegError) as exc:
            raise write_failed(self.path, exc) from exc
        self.frames_written += 1

    def _write_png(self, image: np.ndarray) -> None:
        name = self.tmp / f"frame_{self.frames_written + 1:06d}.png"
        ok, buf = cv2.imencode(".png", image)
        if not ok:
            raise OutputError(f"Could not encode frame {self.frames_written + 1} as PNG.")
        with open(name, "wb") as f:
            f.write(buf.tobytes())

    def write_audio(self, packet: Any) -> None:
        """Copy or re-encode one packet of the reader's audio stream (ignored without one)."""
        if self._audio_out is None:
            return
        frames = []
        if not self._audio_copy:
            try:
                frames = packet.decode()
            except self.av.FFmpegError as exc:  # the picture matters more than one blip
                log.warning("a damaged sound packet was skipped (%s)", reason(exc))
                return
        try:
            if self._audio_copy:
                packet.stream = self._audio_out
                self._container.mux(packet)
            for frame in frames:
                self._encode_audio(frame)
        except (OSError, self.av.FFmpegError) as exc:
            raise write_failed(self.path, exc) from exc

    def _encode_audio(self, frame: Any) -> None:
        """Resample ``frame`` (None: flush the resampler) and encode what comes out."""
        for f in self._resampler.resample(frame):
            f.pts = None  # the encoder numbers samples itself; keeps the sound contiguous
            for p in self._audio_out.encode(f):
                self._container.mux(p)

    # -------------------------------------------------------------------------- ending
    def complete(self) -> None:
        """Flush the encoders and close the file, still under its temporary name
        (idempotent). On failure everything written is removed and OutputError raised."""
        try:
            if self._container is not None:
                for packet in self._video.encode(None):
                    self._container.mux(packet)
                if self._resampler is not None:
                    self._encode_audio(None)
                    for p in self._audio_out.encode(None):
                        self._container.mux(p)
                c, self._container = self._container, None
                c.close()
            if self.frames_written == 0:
                raise OutputError(f"No frame was written, so {self.path} was not created.")
        except OutputError:
            self.abort()
            raise
        except (OSError, self.av.FFmpegError) as exc:
            self.abort()
            raise write_failed(self.path, exc) from exc

    def publish(self, path: Path | None = None, replace: bool = False) -> Path:
        """Give the completed file (:meth:`complete`) its name ``path`` (default: the
        destination given at construction) and return where it now is. Without ``replace`` a
        file that appeared there meanwhile is left alone and the result goes to ``NAME.new.EXT``
        instead (see :func:`vbg.fileio.move_into_place`): compare the returned path. On failure
        everything written is removed and OutputError raised."""
        target = Path(path) if path is not None else self.path
        self.complete()
        try:
            if self.kind == "png" and target.is_dir() and (replace or not any(target.iterdir())):
                # The folder is the user's; replace only our frame files in it.
                for f in sorted(self.tmp.iterdir()):
                    if replace:
                        os.replace(f, target / f.name)
                    else:
                        rename_no_replace(f, target / f.name)
                    self._merged.append(target / f.name)
                self.tmp.rmdir()
            else:
                target = move_into_place(self.tmp, target, replace)
        except OSError as exc:
            merged, self._merged = self._merged, []
            for f in merged:  # the frames already moved into the user's folder
                with contextlib.suppress(OSError):
                    f.unlink()
            self.abort()
            raise write_failed(target, exc) from exc
        self._published = target
        return target

    def finish(self, path: Path | None = None, replace: bool = False) -> Path:
        """:meth:`complete`, then :meth:`publish`: returns where the file now is."""
        self.complete()
        return self.publish(path, replace)

    def unpublish(self) -> None:
        """Remove the published result again (the job's other output failed: all or
        nothing); never raises. In a user's folder only the frame files vbg put there go."""
        published, self._published = self._published, None
        merged, self._merged = self._merged, []
        with contextlib.suppress(OSError):
            for f in merged:
                f.unlink()
            if published is not None and not merged:
                if published.is_dir() and not published.is_symlink():
                    shutil.rmtree(published)
                else:
                    published.unlink()

    def abort(self) -> None:
        """Stop and remove everything written so far (idempotent; never raises); nothing
        once the result was published."""
        if self._published is not None:
            return
        c, self._container = self._container, None
        if c is not None:
            with contextlib.suppress(Exception):
                c.close()
        with contextlib.suppress(OSError):
            if self.tmp.is_dir():
                shutil.rmtree(self.tmp)
            else:
                self.tmp.unlink()


def moved_aside(moved: list[tuple[Path, Path]]) -> str:
    """The sentence for results that went to another name (``(wanted, got)`` pairs) because
    a file appeared at the wanted one while vbg was writing (another run, another program)."""
    wanted = " and ".join(str(w) for w, _ in moved)
    got = " and ".join(str(g) for _, g in moved)
    if len(moved) == 1:
        return (f"{wanted} appeared while vbg was writing it, so it was not replaced; the new "
                f"result is {got}.")
    return (f"{wanted} appeared while vbg was writing them, so they were not replaced; the new "
            f"results are {got}.")


def finish_together(writers: list[MediaWriter], targets: list[Path | None],
                    replace: bool = False) -> list[Path]:
    """Finish the outputs of one job all or nothing: complete every file first, and only when
    all are complete give each its name (``targets``: None for the writer's own path; see
    :meth:`MediaWriter.publish`). A failure removes every output, the ones already named too,
    and raises OutputError. Returns where each one is; when a name was taken meanwhile (not
    ``replace``), the result went beside it and OutputError says where, after all are named."""
    try:
        for w in writers:
            w.complete()
        paths = [w.publish(t, replace) for w, t in zip(writers, targets, strict=True)]
    except BaseException:
        for w in writers:
            w.unpublish()
            w.abort()
        raise
    moved = [(t or w.path, p) for w, t, p in zip(writers, targets, paths, strict=True)
             if p != (t or w.path)]
    if moved:
        raise OutputError(moved_aside(moved))
    return paths

