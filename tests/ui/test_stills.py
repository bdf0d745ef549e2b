"""Still images from the UI: open or drop, see the cut-out, save the PNG or the mask."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import WAIT_MS, fake_cut
from vbg import resources
from vbg.stills import Cutout
from vbg.ui.stills_window import StillsWindow


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "portrait.jpg"
    cv2.imwrite(str(p), np.full((120, 160, 3), (40, 120, 200), np.uint8))
    return p


def test_open_cut_and_save_png_and_masks(win, qtbot, photo: Path, tmp_path: Path) -> None:
    assert not win.save_button.isEnabled()
    assert win.open_image(photo)
    qtbot.waitUntil(lambda: win.cutout is not None, timeout=WAIT_MS)
    assert win.save_button.isEnabled() and win.save_mask_button.isEnabled()
    assert win.result.pixmap() is not None and not win.result.pixmap().isNull()

    out = tmp_path / "out" / "cut.png"
    out.parent.mkdir()
    assert win.save_cutout(out)
    png = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert png.shape == (120, 160, 4)  # transparent PNG at the original size
    assert png[60, 10, 3] == 255 and png[60, 150, 3] == 0

    assert win.save_mask(tmp_path / "out" / "soft.png")
    soft = cv2.imread(str(tmp_path / "out" / "soft.png"), cv2.IMREAD_UNCHANGED)
    assert soft.ndim == 2 and 128 in soft

    win.mask_kind.setCurrentIndex(win.mask_kind.findData("binary"))
    assert win.save_mask(tmp_path / "out" / "binary")  # ".png" is added
    binary = cv2.imread(str(tmp_path / "out" / "binary.png"), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(binary)) <= {0, 255}


def test_file_dialog_buttons(win, qtbot, photo: Path, tmp_path: Path) -> None:
    win.ask_open = lambda: str(photo)
    saved: list[str] = []

    def ask_save(title: str, suggested: str) -> str:
        saved.append(suggested)
        return str(tmp_path / f"{len(saved)}.png")

    win.ask_save = ask_save
    win.open_button.click()
    qtbot.waitUntil(lambda: win.cutout is not None, timeout=WAIT_MS)
    win.save_button.click()
    win.save_mask_button.click()
    # The names `vbg image` writes (README: photo_foreground.png, photo_mask_soft.png).
    assert saved == [str(photo.with_name("portrait_foreground.png")),
                     str(photo.with_name("portrait_mask_soft.png"))]
    assert (tmp_path / "1.png").exists() and (tmp_path / "2.png").exists()
    win.mask_kind.setCurrentIndex(win.mask_kind.findData("binary"))
    win.save_mask_button.click()
    assert saved[-1] == str(photo.with_name("portrait_mask_binary.png"))


def test_drop_an_image(win, qtbot, photo: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    pos = QPointF(10, 10)
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(win, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(win, QDropEvent(pos, Qt.DropAction.CopyAction, mime,
                                           Qt.MouseButton.NoButton,
                                           Qt.KeyboardModifier.NoModifier))
    qtbot.waitUntil(lambda: win.cutout is not None, timeout=WAIT_MS)
    assert win.source_path == photo


def test_a_file_that_is_not_an_image_is_a_message(win, tmp_path: Path) -> None:
    bad = tmp_path / "fake.png"
    bad.write_bytes(b"nope")
    assert not win.open_image(bad)
    assert "not an image" in win.status.text()
    assert win.cutout is None


def test_a_failing_cut_is_shown_not_raised(qtbot, photo: Path) -> None:
    def broken(image: np.ndarray) -> Cutout:
        raise RuntimeError("model exploded")

    w = StillsWindow(cutter_factory=lambda: broken)
    qtbot.addWidget(w)
    w.open_image(photo)
    qtbot.waitUntil(lambda: not w.busy, timeout=WAIT_MS)
    assert "model exploded" in w.status.text() and w.cutout is None


def test_a_stale_result_is_dropped(qtbot, photo: Path, tmp_path: Path) -> None:
    release = threading.Event()
    calls: list[tuple[int, int]] = []

    def slow_first(image: np.ndarray) -> Cutout:
        calls.append(image.shape[:2])
        if len(calls) == 1:
            release.wait(10)
        return fake_cut(image)

    w = StillsWindow(cutter_factory=lambda: slow_first)
    qtbot.addWidget(w)
    second = tmp_path / "second.png"
    cv2.imwrite(str(second), np.zeros((50, 70, 3), np.uint8))
    w.open_image(photo)
    w.open_image(second)  # while the first is still being cut
    release.set()
    qtbot.waitUntil(lambda: w.cutout is not None, timeout=WAIT_MS)
    # The cuts run one after the other (one model), so the stale one was delivered first.
    assert w.cutout.image.shape[:2] == (50, 70)  # the newest photo, never the stale one


def test_the_real_model_cuts_out_the_demo_portrait(qtbot, tmp_path: Path) -> None:
    w = StillsWindow()
    qtbot.addWidget(w)
    w.open_image(resources.asset("demo", "astronaut.png"))
    qtbot.waitUntil(lambda: not w.busy, timeout=60000)
    assert w.cutout is not None, w.status.text()
    alpha = w.cutout.alpha
    h, wd = alpha.shape
    assert alpha[h // 2, wd // 2] > 200  # the astronaut's chest
    assert alpha[5, 5] < 60  # a corner of the room
    assert w.save_cutout(tmp_path / "astronaut.png")


def test_over_a_picture_alpha_and_poisson(win, qtbot, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    person = np.clip(np.array([60, 110, 180]) + 40 * np.sin(np.arange(160) / 3.0)[None, :, None]
                     + rng.normal(0, 2, (120, 160, 3)), 0, 255).astype(np.uint8)
    src = tmp_path / "p.png"
    cv2.imwrite(str(src), person)
    scene = tmp_path / "scene.png"
    cv2.imwrite(str(scene), np.full((60, 80, 3), (30, 90, 240), np.uint8))  # orange
    assert win.open_image(src)
    qtbot.waitUntil(lambda: win.cutout is not None, timeout=WAIT_MS)
    assert win.composite() is None  # transparent until a picture is chosen
    win.ask_open_background = lambda: str(scene)
    win.background_button.click()
    assert win.blend.currentData() == "alpha"
    alpha_out = win.composite().copy()
    assert np.all(alpha_out[:, 150:] == (30, 90, 240))  # background side: the picture
    np.testing.assert_array_equal(alpha_out[:, :70], person[:, :70])  # person: unchanged
    win.blend.setCurrentIndex(win.blend.findData("poisson"))
    relit = win.composite()
    assert relit[:, :70, 2].mean() > person[:, :70, 2].mean() + 15  # takes the orange light
    out = tmp_path / "composite.png"
    assert win.save_cutout(out)
    saved = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
    assert saved.shape == (120, 160, 3)
    np.testing.assert_array_equal(saved, relit)
    assert not win.set_background(tmp_path / "missing.png")
    assert "does not exist" in win.status.text()


def test_input_transparency_is_kept(win, qtbot, tmp_path: Path) -> None:
    bgra = np.full((120, 160, 4), 255, np.uint8)
    bgra[:60, :, 3] = 0  # top half transparent in the input
    src = tmp_path / "t.png"
    cv2.imwrite(str(src), bgra)
    assert win.open_image(src)
    qtbot.waitUntil(lambda: win.cutout is not None, timeout=WAIT_MS)
    assert win.cutout.alpha[:60].max() == 0 and win.cutout.alpha[60:, :50].min() == 255
