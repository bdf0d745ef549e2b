"""Turning ``vbg.app.menu`` descriptions into QMenus and QActions.

The description is rebuilt from the current state each time a menu opens (``aboutToShow``),
so a menu never shows a stale tick; each QAction calls ``perform(action)`` with its
:class:`~vbg.app.menu.Action` when triggered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import QMenu

from vbg.app.menu import BACKGROUND, CAMERA, MODEL, Action, MenuItem
from vbg.ui.icons import icon_for, line_icon

Perform = Callable[[Action], None]

# Verbs whose items are one-of-many: shown as radio items in an exclusive group.
EXCLUSIVE = (BACKGROUND, CAMERA, MODEL)


def populate(menu: QMenu, items: Iterable[MenuItem], perform: Perform, *,
             key_hints_as_text: bool = False) -> None:
    """Fill ``menu`` (cleared first) with ``items``. ``key_hints_as_text``: for a window's
    menu bar, whose keys are the window's own shortcuts (see below): an item's ``shortcut``
    is shown as a hint only. Without it (the tray menu, which is never focused and whose
    items carry no keys) a ``shortcut`` is ignored."""
    _clear(menu)
    groups: dict[str, QActionGroup] = {}
    for item in items:
        if item.separator:
            menu.addSeparator()
            continue
        if item.is_menu:
            sub = menu.addMenu(icon_for(item.icon), item.text)
            if item.checked:  # the submenu in use (the current camera): bold + a dot icon
                font = QFont(sub.menuAction().font())
                font.setBold(True)
                sub.menuAction().setFont(font)
                sub.setIcon(line_icon("camera", "#34c38f"))
            populate(sub, item.children, perform, key_hints_as_text=key_hints_as_text)
            continue
        text = item.text
        if item.shortcut and key_hints_as_text:
            # The key as a hint only (QMenu shows what follows a tab in the shortcut column):
            # the window owns the live shortcuts. A second live one, even limited to the menu
            # as a WidgetShortcut, is matched while the menu bar has the focus, and Qt then
            # fires neither ("Ambiguous shortcut overload").
            hint = QKeySequence(item.shortcut).toString(QKeySequence.SequenceFormat.NativeText)
            text = f"{text}\t{hint}"
        action = QAction(icon_for(item.icon), text, menu)
        action.setEnabled(item.enabled and item.action is not None)
        if item.action is not None:
            # No setData(item.action): a Python object in a QVariant crashed PySide 6.12
            # ("deallocating None") when the menu was cleared; the closure below holds it.
            action.setCheckable(item.checkable)
            action.setChecked(item.checked)
            if item.action.verb in EXCLUSIVE and item.checkable:
                group = groups.get(item.action.verb)
                if group is None:
                    group = groups[item.action.verb] = QActionGroup(menu)
                    group.setExclusive(True)
                group.addAction(action)
            act = item.action
            action.triggered.connect(lambda _checked=False, act=act: perform(act))
        menu.addAction(action)


def _clear(menu: QMenu) -> None:
    """Remove the old entries and delete what a rebuild would otherwise leak: QMenu.clear()
    deletes actions but not the submenus and action groups we parented to the menu."""
    old = [a.menu() for a in menu.actions() if isinstance(a.menu(), QMenu)]
    menu.clear()
    for sub in old:
        if sub.parent() is menu:
            sub.deleteLater()
    for group in menu.findChildren(QActionGroup,
                                   options=Qt.FindChildOption.FindDirectChildrenOnly):
        group.deleteLater()


def find_action(menu: QMenu, *path: str) -> QAction:
    """The QAction at ``path`` of texts below ``menu`` (submenus by title); ``KeyError``."""
    for action in menu.actions():
        if action.text().split("\t")[0].replace("&", "") != path[0]:
            continue
        if len(path) == 1:
            return action
        sub = action.menu()
        if isinstance(sub, QMenu):
            sub.aboutToShow.emit()
            return find_action(sub, *path[1:])
    raise KeyError(" > ".join(path))
