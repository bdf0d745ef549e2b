"""A video in the cut-out window: dropped or opened, processed in the background with progress
and Cancel, saved where the user said (the real engine and real files)."""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.media import decode_video, probe
from tests.ui.conftest import WAIT_MS

CLIP = {"name": "message.mp4", "frames": 60, "fps": 30, "size": (480, 270)}  # conftest's clip


def test_dropped_video_is_processed_with_progress_and_saved(win, qtbot, clip, tmp_path):
    out = tmp_path / "result.mp4"
    asked: list[str] = []
    win.ask_save_video = lambda name: asked.append(name) or str(out)
    seen: list[int] = []
    win.progress.valueChanged.connect(seen.append)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    win.dropEvent(drop)
    assert asked == [str(clip.with_name("message_vbg.mp4"))]
    assert win.progress.isVisible() and win.cancel_button.isVisible()
    assert not win.open_button.isEnabled()
    qtbot.waitUntil(lambda: win.video_result is not None, timeout=WAIT_MS * 3)
    assert not win.progress.isVisible() and win.open_button.isEnabled()
    assert str(out) in win.status.text()
    assert seen and seen[-1] == 60 and seen == sorted(seen)
    assert len(decode_video(out)) == 60 and probe(out)["audio"]["codec"] == "aac"


def test_cancel_saves_nothing(win, qtbot, clip, tmp_path):
    out = tmp_path / "cancelled.mp4"
    win.ask_save_video = lambda name: str(out)
    win.progress.valueChanged.connect(lambda v: v > 0 and win.cancel_button.click())
    assert win.open_path(clip)
    qtbot.waitUntil(lambda: win.video_result is not None, timeout=WAIT_MS * 3)
    assert win.video_result.cancelled and "nothing was saved" in win.status.text()
    assert list(tmp_path.iterdir()) == []


def test_without_pyav_a_video_is_refused_before_asking_where_to_save(win, clip,
                                                                    monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # what `import av` meets without the extra
    asked: list[str] = []
    win.ask_save_video = lambda name: asked.append(name) or ""
    assert not win.open_path(clip)
    assert asked == [] and "pip install 'vbg[video]'" in win.status.text()
    assert win.open_button.isEnabled() and not win.progress.isVisible()


def test_unreadable_video_is_one_visible_sentence(win, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\\x00" * 1000)
    win.ask_save_video = lambda name: str(tmp_path / "o.mp4")
    assert not win.open_path(bad)
    assert "not a video" in win.status.text() and not win.progress.isVisible()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mp4"]


def test_the_app_hands_its_chosen_background_to_a_video(make_app, qtbot, clip, tmp_path):
    """A video made from the app's cut-out window gets the background chosen in the main
    window (here sage green), not a fixed blur; "None" there still gives a changed video."""
    app = make_app(start=False)
    assert app.controller.session.set_background("color:#3C825A")
    win = app.shell.show_stills()
    qtbot.addWidget(win)
    out = tmp_path / "green.mp4"
    win.ask_save_video = lambda name: str(out)
    assert win.open_video(clip)
    qtbot.waitUntil(lambda: win.video_result is not None, timeout=WAIT_MS * 3)
    first = decode_video(out)[0]
    corner = first[: first.shape[0] // 4, -first.shape[1] // 4:].reshape(-1, 3).astype(int)
    sage = np.array([0x5A, 0x82, 0x3C])  # #3C825A as BGR
    assert np.mean(np.abs(corner - sage).max(axis=1) <= 12) > 0.9
    # Later choices in the main window count for the next video.
    assert app.controller.session.set_background("none")
    assert win.video_background.kind == "blur"
    assert app.controller.session.set_background("color:#3C5A82")
    assert win.video_background.color == (0x82, 0x5A, 0x3C)
