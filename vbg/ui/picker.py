"""The background picker: a grid of tiles (presets, colours, pictures) plus an "Add…" tile.

Tiles are in the same order as the n / p keys cycle (``vbg.app.backgrounds.choices``). The blur
tiles show the demo picture blurred, "None" shows it sharp, so the grid says what each choice
does without words.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QStyle, QWidget

from vbg import resources
from vbg.app import backgrounds as bgs
from vbg.config import BackgroundConfig
from vbg.ui.icons import line_icon, swatch, thumbnail

TILE = QSize(100, 56)
MIN_CELL_W = TILE.width() + 14
CELL_H = TILE.height() + 34
ADD = "__add__"
SPEC_ROLE = Qt.ItemDataRole.UserRole


def _tile_for(spec: str) -> QIcon:
    bg = BackgroundConfig.parse(spec)
    demo = resources.asset("demo", "astronaut.png")
    size = (TILE.width(), TILE.height())
    pix: QPixmap | None = None
    if bg.kind == "none":
        pix = thumbnail(demo, size)
    elif bg.kind == "blur":
        pix = thumbnail(demo, size, blur=2 + bg.blur_level)
    elif bg.kind == "color":
        pix = swatch(bgs.color_hex(bg.color), size, radius=8)
    else:
        pix = thumbnail(bg.path or "", size)
    if pix is None:  # a missing file: a placeholder tile
        return _icon_tile("image")
    return _same_when_selected(pix)


def _same_when_selected(pix: QPixmap) -> QIcon:
    """An icon that looks the same selected: Qt would tint it with the highlight colour,
    which turns "Sage green" teal; the tile's frame shows the selection instead."""
    icon = QIcon(pix)
    icon.addPixmap(pix, QIcon.Mode.Selected)
    return icon


def _icon_tile(name: str) -> QIcon:
    pix = QPixmap(TILE)
    pix.fill(QColor("#2c313a"))
    p = QPainter(pix)
    side = 30
    line_icon(name).paint(p, (TILE.width() - side) // 2, (TILE.height() - side) // 2, side, side)
    p.end()
    return _same_when_selected(pix)


def short_title(spec: str) -> str:
    """Tile captions are narrow: "None" rather than the menu's "None (camera as is)"."""
    return "None" if spec == "none" else bgs.title_of(spec)


class BackgroundPicker(QListWidget):
    """``chosen(spec)`` when a tile is clicked; ``add_requested`` for the "Add…" tile."""

    chosen = Signal(str)
    add_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("picker")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(TILE)
        self.setGridSize(QSize(MIN_CELL_W, CELL_H))
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self.setSpacing(2)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the window's shortcuts
        self.setMinimumHeight(TILE.height() + 60)
        self.itemClicked.connect(self._clicked)
        self._specs: list[str] = []
        self._current: str | None = None

    def set_choices(self, specs: list[str], current: str) -> None:
        """Rebuild the tiles when the list changed; then mark ``current``."""
        if specs != self._specs:
            self._specs = list(specs)
            self._current = None
            self.clear()
            for spec in specs:
                item = QListWidgetItem(_tile_for(spec), short_title(spec))
                item.setData(SPEC_ROLE, spec)
                item.setToolTip(spec.partition(":")[2] if spec.startswith(("image:", "video:"))
                                else bgs.title_of(spec))
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
                self.addItem(item)
            add = QListWidgetItem(_icon_tile("add"), "Add…")
            add.setData(SPEC_ROLE, ADD)
            add.setToolTip("Add an image or video (or drop one on the window)")
            self.addItem(add)
        self.set_current(current)

    def set_current(self, spec: str) -> None:
        """Select the tile of ``spec`` (none when it has no tile). Only acts on a change, so
        the 1 Hz state refresh doesn't scroll the grid under the user's mouse."""
        try:
            wanted = bgs.normalise(spec)
        except ValueError:
            wanted = spec
        if wanted == self._current:
            return
        self._current = wanted
        self.blockSignals(True)
        self.clearSelection()
        for i in range(self.count()):
            item = self.item(i)
            if item.data(SPEC_ROLE) == wanted:
                item.setSelected(True)
                self.setCurrentItem(item)
                self.scrollToItem(item)
                break
        self.blockSignals(False)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        # Spread the columns over the whole width instead of leaving a ragged gap on the
        # right. The width excludes a scrollbar whether or not one shows: measuring the
        # viewport instead made the scrollbar come and go in a resize loop.
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        width = self.contentsRect().width() - bar - 2 * self.spacing() - 2
        columns = max(1, width // MIN_CELL_W)
        grid = QSize(max(MIN_CELL_W, width // columns), CELL_H)
        if grid != self.gridSize():
            self.setGridSize(grid)
        super().resizeEvent(event)

    def tile(self, spec: str) -> QListWidgetItem:
        """The tile for ``spec`` (or ``ADD``); ``KeyError`` if none (for tests)."""
        for i in range(self.count()):
            if self.item(i).data(SPEC_ROLE) == spec:
                return self.item(i)
        raise KeyError(spec)

    def _clicked(self, item: QListWidgetItem) -> None:
        spec = item.data(SPEC_ROLE)
        if spec == ADD:
            self.add_requested.emit()
        else:
            self.chosen.emit(spec)
