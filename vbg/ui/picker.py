"""The background picker: a grid of tiles (presets, colours, pictures) plus an "Add…" tile.

Tiles are in the same order as the n / p keys cycle (``vbg.app.backgrounds.choices``). The blur
tiles show the demo picture blurred, "None" shows it sharp, so the grid says what each choice
does without words. A right click on a picture or video the user added offers "Remove"
(``remove_requested``; which tiles may go is ``can_remove``'s answer, vbg.app.backgrounds'
policy).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QMenu, QStyle, QWidget

from vbg import resources
from vbg.app import backgrounds as bgs
from vbg.config import BackgroundConfig, color_hex
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
        pix = swatch(color_hex(bg.color), size, radius=8)
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
    """``chosen(spec)`` when a tile is clicked; ``add_requested`` for the "Add…" tile;
    ``remove_requested(spec)`` from a tile's right-click menu, offered where
    ``can_remove(spec)`` says so."""

    chosen = Signal(str)
    add_requested = Signal()
    remove_requested = Signal(str)

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
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.can_remove: Callable[[str], bool] = lambda spec: False
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
        tile = self._tile_of(wanted)
        self.blockSignals(True)
        self.clearSelection()
        if tile is not None:
            tile.setSelected(True)
            self.setCurrentItem(tile)
            self.scrollToItem(tile)
        self.blockSignals(False)

    def _tile_of(self, spec: str) -> QListWidgetItem | None:
        """The tile that stands for ``spec``: its own, or for a blur level between the presets
        (the blur slider's) the nearer blur tile."""
        for i in range(self.count()):
            if self.item(i).data(SPEC_ROLE) == spec:
                return self.item(i)
        if not spec.startswith("blur:"):
            return None
        level = int(spec.partition(":")[2])
        blurs = [self.item(i) for i in range(self.count())
                 if str(self.item(i).data(SPEC_ROLE)).startswith("blur:")]
        return min(blurs, key=lambda t: abs(int(t.data(SPEC_ROLE).partition(":")[2]) - level),
                   default=None)

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

    def menu_for(self, item: QListWidgetItem | None) -> QMenu | None:
        """The right-click menu of a tile: "Remove" for a picture or video the user added;
        None for every other tile (presets, colours, the bundled pictures, "Add…")."""
        spec = item.data(SPEC_ROLE) if item is not None else None
        if not spec or spec == ADD or not self.can_remove(spec):
            return None
        menu = QMenu(self)
        remove = menu.addAction(line_icon("remove"), f"Remove “{short_title(spec)}”…")
        remove.triggered.connect(lambda _=False: self.remove_requested.emit(spec))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.menu_for(self.itemAt(pos))
        if menu is not None:
            menu.exec(self.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def _clicked(self, item: QListWidgetItem) -> None:
        spec = item.data(SPEC_ROLE)
        if spec == ADD:
            self.add_requested.emit()
        else:
            self.chosen.emit(spec)
