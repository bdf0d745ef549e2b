"""Cutting the person out of a still image: open or drop a photo, see the cut-out, save the
transparent PNG or the mask. A dropped or opened *video* is processed as a whole instead
(``vbg video``'s job, :mod:`vbg.video`): the window asks where to save it (MP4 with the background
chosen in the main window, blur when that is "None", or WebM/MOV with the background
transparent), runs it on a worker thread with a progress bar and a Cancel button, and nothing is
saved when cancelled.
An input's own transparency is kept. Optionally the person goes over a background picture,
alpha- or Poisson-blended ("Over a picture…"); the saved cut-out is then that composite.

The cut runs on a worker thread (the model's full-quality still pass takes a moment) and comes
back through the bridge; opening another photo meanwhile makes the older result stale, and it
is dropped rather than shown (napari's "cancel stale work"). The model is loaded once, on first
use. The widgets and their layout are :mod:`vbg.ui.stills_view`'s (kept here as attributes);
the Qt-free choices (names, masks, composites, sentences) :mod:`vbg.app.cutout`'s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import QFileDialog, QWidget

from vbg.app import cutout as cut
from vbg.config import DEFAULT_MODEL, BackgroundConfig
from vbg.errors import VbgError, clause
from vbg.imaging import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, load_av
from vbg.stills import Cutout, StillCutter, read_image_alpha, write_png_atomic
from vbg.ui.bridge import MainThreadBridge
from vbg.ui.drops import dropped_photo_or_video
from vbg.ui.files import pictures_dir
from vbg.ui.icons import app_icon, bgr_to_qimage
from vbg.ui.stills_view import StillsView
from vbg.ui.video_run import VideoRun
from vbg.ui.widgets import fit_to_screen
from vbg.video import VideoResult, prepare

log = logging.getLogger(__name__)

Cutter = Callable[[np.ndarray], Cutout]
IMAGE_FILTER = ("Photos and videos (" + " ".join(
    f"*{e}" for e in sorted(IMAGE_EXTENSIONS | VIDEO_EXTENSIONS)) + ")")
PICTURE_FILTER = "Pictures (" + " ".join(f"*{e}" for e in sorted(IMAGE_EXTENSIONS)) + ")"
WINDOW_SIZE = QSize(980, 620)  # the size it opens at, where the screen has room
VIDEO_SAVE_FILTER = ("MP4 video, background replaced (*.mp4);;"
                     "WebM with transparent background (*.webm);;"
                     "ProRes 4444 with transparent background (*.mov)")


class StillsWindow(QWidget):
    """See the module docstring. ``cutter_factory`` builds the cutting function once (tests
    pass a fast fake); ``ask_open``/``ask_save`` replace the file dialogs in tests."""

    def __init__(self, model: str = DEFAULT_MODEL,
                 cutter_factory: Callable[[], Cutter] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Cut out a photo or video — vbg")
        self.setWindowIcon(app_icon("on"))
        self.setAcceptDrops(True)
        self._factory = cutter_factory or (lambda: StillCutter(model).cut)
        self._cutter: Cutter | None = None
        self._lock = threading.Lock()
        self._generation = 0
        self.bridge = MainThreadBridge(self)
        self.source_path: Path | None = None
        self.image: np.ndarray | None = None
        self.cutout: Cutout | None = None
        self.composites = cut.Composites()  # the picture to put the person over, and the result
        self.busy = False
        self.ask_open: Callable[[], str] = lambda: QFileDialog.getOpenFileName(
            self, "Open a photo or video", str(pictures_dir()), IMAGE_FILTER)[0]
        # "Over a picture…" picks a background picture: its own title, pictures only.
        self.ask_open_background: Callable[[], str] = lambda: QFileDialog.getOpenFileName(
            self, "Choose a background picture", str(pictures_dir()), PICTURE_FILTER)[0]
        self.ask_save: Callable[[str, str], str] = lambda title, name: QFileDialog.getSaveFileName(
            self, title, name, "PNG image (*.png)")[0]
        # The save dialog for a video (it asks before replacing a file, hence force=True).
        self.ask_save_video: Callable[[str], str] = lambda name: QFileDialog.getSaveFileName(
            self, "Save the video", name, VIDEO_SAVE_FILTER)[0]
        self.video_model = model
        # Where a video's background comes from, asked when a video starts: the app hands in
        # the background chosen in the main window (AppShell.show_stills); on its own, blur.
        self.video_background_of: Callable[[], BackgroundConfig] = lambda: BackgroundConfig()
        self.video_result: VideoResult | None = None  # the last finished video's result
        self.video = VideoRun(self, self.bridge, self._show_pair, self._video_done,
                              self.cancel_video)
        self.progress, self.cancel_button = self.video.progress, self.video.cancel_button
        self.ui = v = StillsView(self, self.progress, self.cancel_button,
                                 open_file=self.choose_image, save_cutout=self.choose_save_cutout,
                                 save_mask=self.choose_save_mask,
                                 choose_background=self.choose_background,
                                 changed=self._update_result)
        self.open_button, self.save_button = v.open_button, v.save_button
        self.save_mask_button, self.background_button = v.save_mask_button, v.background_button
        self.view, self.blend, self.mask_kind = v.view, v.blend, v.mask_kind
        self.threshold, self.threshold_label = v.threshold, v.threshold_label
        self.original, self.result, self.status = v.original, v.result, v.status
        # A tool window: Esc or Ctrl+W (Cmd+W) closes it, as users expect.
        for key in ("Esc", "Ctrl+W"):  # Ctrl is Cmd on macOS
            QShortcut(QKeySequence(key), self, self.close)
        self._sync_buttons()
        fit_to_screen(self, WINDOW_SIZE)

    # ----------------------------------------------------------------- opening
    def choose_image(self) -> None:
        path = self.ask_open()
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a photo (cut it out) or a video (process and save it), by extension."""
        if Path(path).suffix.lower() in VIDEO_EXTENSIONS:
            return self.open_video(path)
        return self.open_image(path)

    def open_image(self, path: str | Path) -> bool:
        """Load ``path`` and start cutting it on a worker thread; False (message shown) when
        it is not a readable image."""
        try:
            image, own_alpha = read_image_alpha(path)
        except VbgError as exc:
            self.ui.say(str(exc), error=True)
            return False
        self.source_path = Path(path)
        self.image, self.cutout = image, None
        self.original.set_image(bgr_to_qimage(image))
        self.result.set_image(None, "Cutting out…")
        self._generation += 1
        generation = self._generation
        self.busy = True
        self._sync_buttons()
        self.ui.say(f"Cutting out {self.source_path.name}…")
        threading.Thread(target=self._work, args=(image, generation, own_alpha),
                         name="vbg-still", daemon=True).start()
        return True

    def _work(self, image: np.ndarray, generation: int,
              own_alpha: np.ndarray | None = None) -> None:
        try:
            with self._lock:  # one model, used by one cut at a time
                if self._cutter is None:
                    self._cutter = self._factory()
                result: Cutout | BaseException = self._cutter(image)
            if isinstance(result, Cutout):
                result = cut.keep_own_alpha(result, own_alpha)
        except Exception as exc:  # delivered to the Qt thread and shown there
            result = exc
        self.bridge.call(lambda: self._done(result, generation))

    def _done(self, result: Cutout | BaseException, generation: int) -> None:
        if generation != self._generation:
            return  # a newer photo was opened meanwhile
        self.busy = False
        if isinstance(result, BaseException):
            if not isinstance(result, VbgError):
                log.error("cutting out failed", exc_info=result)
            self.ui.say(f"Could not cut out the photo: {clause(result)}", error=True)
            self.result.set_image(None, "No cut-out")
        else:
            self.cutout = result
            self.ui.say(cut.cut_sentence(self.source_path, result))
            self._update_result()
        self._sync_buttons()

    # ----------------------------------------------------------------- showing
    def chosen_mask(self) -> np.ndarray | None:
        """The mask as chosen (soft alpha or thresholded), or None before a cut."""
        return cut.chosen_mask(self.cutout, self.mask_kind.currentData(), self.threshold.value())

    def _update_result(self) -> None:
        self.ui.show_mask_kind()
        if self.cutout is None:
            return
        if self.view.currentData() == "mask":
            m = np.ascontiguousarray(self.chosen_mask())
            img = QImage(m.data, m.shape[1], m.shape[0], m.strides[0],
                         QImage.Format.Format_Grayscale8).copy()
        elif (composite := self.composite()) is not None:
            img = bgr_to_qimage(composite)
        else:
            bgra = np.ascontiguousarray(self.cutout.foreground())
            img = QImage(bgra.data, bgra.shape[1], bgra.shape[0], bgra.strides[0],
                         QImage.Format.Format_ARGB32).copy()  # BGRA bytes = ARGB32 (LE)
        self.result.set_image(img)

    def choose_background(self) -> None:
        path = self.ask_open_background()
        if path:
            self.set_background(path)

    def set_background(self, path: str | Path) -> bool:
        """Use the picture at ``path`` behind the person (alpha blend unless Poisson is
        chosen); False (message shown) when it is not a readable image."""
        try:
            self.composites.set_background(read_image_alpha(path)[0])
        except VbgError as exc:
            self.ui.say(str(exc), error=True)
            return False
        blend = cut.blend_for_background(self.blend.currentData())
        self.blend.setCurrentIndex(self.blend.findData(blend))
        self._update_result()
        self.ui.say(cut.background_sentence(Path(path)))
        return True

    def composite(self) -> np.ndarray | None:
        """The person over the background picture (BGR) as chosen, or None (transparent cut-out
        wanted, no picture, no cut yet)."""
        return self.composites.composite(self.cutout, self.blend.currentData())

    # ----------------------------------------------------------------- saving
    def choose_save_cutout(self) -> None:
        path = self.ask_save("Save the cut-out", cut.cutout_name(self.source_path, pictures_dir()))
        if path:
            self.save_cutout(path)

    def choose_save_mask(self) -> None:
        name = cut.mask_name(self.source_path, self.mask_kind.currentData(), pictures_dir())
        path = self.ask_save("Save the mask", name)
        if path:
            self.save_mask(path)

    def save_cutout(self, path: str | Path) -> bool:
        """Write the transparent PNG (BGRA, alpha = the soft mask), or the composite over the
        background picture when one is chosen."""
        if self.cutout is None:
            return False
        return self._write(Path(path),
                           self.composites.saved_picture(self.cutout, self.blend.currentData()))

    def save_mask(self, path: str | Path) -> bool:
        """Write the mask (soft or binary, as chosen) as a greyscale PNG."""
        mask = self.chosen_mask()
        return mask is not None and self._write(Path(path), mask)

    def _write(self, path: Path, image: np.ndarray) -> bool:
        path = cut.png_path(path)
        try:
            write_png_atomic(path, image)
        except VbgError as exc:
            self.ui.say(str(exc), error=True)
            return False
        self.ui.say(f"Saved {path}.")
        return True

    def _sync_buttons(self) -> None:
        ready = cut.can_save(self.cutout, self.busy)
        self.save_button.setEnabled(ready)
        self.save_mask_button.setEnabled(ready)

    # ----------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if dropped_photo_or_video(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # Qt override
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        path = dropped_photo_or_video(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_path(path)

    # ----------------------------------------------------------------- videos
    @property
    def video_background(self) -> BackgroundConfig:
        """The background an MP4 gets: the provider's, with "none" (the camera as is, which
        would save the video unchanged) replaced by blur."""
        return cut.video_background(self.video_background_of())

    def open_video(self, path: str | Path) -> bool:
        """Check that PyAV is there, ask where to save, check input and output, then process
        the whole video on a worker thread; False (message shown) when it can't start or the
        user cancelled the dialog."""
        if self.video.running:
            self.ui.say("A video is already being processed; wait or cancel it first.", error=True)
            return False
        try:
            load_av()  # before asking where to save: without PyAV there is nothing to save
        except VbgError as exc:
            self.ui.say(str(exc), error=True)
            return False
        src = Path(path)
        out = self.ask_save_video(cut.video_output_name(src))
        if not out:
            return False
        try:
            prepared = prepare(cut.video_job(src, Path(out), self.video_model,
                                             self.video_background_of()))
        except VbgError as exc:
            self.ui.say(str(exc), error=True)
            return False
        # The panes show the video from now on: the photo's cut-out (and a cut still running)
        # is not what the window shows any more, so "Save cut-out" must not offer it.
        self._generation += 1
        self.source_path, self.image, self.cutout = src, None, None
        self.composites.forget()
        self.busy = False
        self._sync_buttons()
        self.open_button.setEnabled(False)
        self.original.set_image(None, src.name)
        self.result.set_image(None, "Processing the video…")
        self.ui.say(f"Processing {src.name} → {Path(out).name}…")
        self.video.start(prepared)
        return True

    def cancel_video(self) -> None:
        """Stop the running video job; its partial output is removed."""
        if self.video.cancel():
            self.ui.say("Cancelling…")

    def _show_pair(self, before: QImage, after: QImage) -> None:
        self.original.set_image(before)
        self.result.set_image(after)

    def _video_done(self, result: VideoResult | BaseException) -> None:
        """On the Qt thread: show how the job ended (saved, cancelled or the error)."""
        self.open_button.setEnabled(True)
        if isinstance(result, BaseException):
            if not isinstance(result, VbgError):
                log.error("processing the video failed", exc_info=result)
            self.ui.say(f"Could not process the video: {clause(result)}", error=True)
            self.result.set_image(None, "No video written")
            return
        self.video_result = result
        outcome = cut.video_outcome(result, self.source_path)
        self.ui.say(outcome.text, warning=outcome.tone == "warning")
        if outcome.caption is not None:
            self.result.set_image(None, outcome.caption)

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override: no job left running unseen
        self.cancel_video()
        super().closeEvent(event)
