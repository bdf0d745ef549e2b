"""The tray menu and the window's menu bar, described as plain data (no Qt).

Like vorta's tray, the menu is rebuilt from the current state every time it opens: the Qt side
calls :func:`prepare` (tray) or :func:`prepare_menubar` (window) with a :class:`MenuState`
snapshot and turns the returned :class:`MenuItem` tree into QActions. Each item carries an
:class:`Action` (a verb and its argument) that the UI dispatches when the item is triggered,
so tests can check what the menu offers without a window, and what each entry does by
triggering it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from vbg.app.backgrounds import (
    BLUR_LIGHT,
    BLUR_STRONG,
    BackgroundFile,
    choices,
    color_specs,
    next_color,
    normalise,
    step,
    title_of,
)
from vbg.config import CAMERA_SIZES, DEFAULT_MODEL

# Verbs. Arguments: RUNNING/PAUSE/MIRROR/FRAMING/LIGHT/PREVIEW/MASK_VIEW/FPS_OVERLAY the wanted
# bool; BACKGROUND a spec string; CAMERA (source, width, height); MODEL a model key or path.
RUNNING = "running"
PAUSE = "pause"
BACKGROUND = "background"
ADD_BACKGROUND = "add_background"
IMPORT_BACKGROUND = "import_background"  # arg: the path of a dropped or chosen file
REMOVE_BACKGROUND = "remove_background"  # arg: the spec of an added picture or video
OPEN_BACKGROUNDS = "open_backgrounds"
CAMERA = "camera"
MODEL = "model"
OPEN_MODELS = "open_models"
MIRROR = "mirror"
FRAMING = "framing"  # auto-framing on (True) or off (False)
LIGHT = "light"  # low-light correction on (True) or off (False)
PREVIEW = "preview"
MASK_VIEW = "mask_view"
FPS_OVERLAY = "fps_overlay"
STILLS = "stills"
SETTINGS = "settings"
VCAM_HELP = "vcam_help"
MESSAGES = "messages"  # the log of every message shown (View → Messages…)
QUIT = "quit"


@dataclass(frozen=True)
class Action:
    """What an item does: ``verb`` (one of the constants above) and its ``arg``."""

    verb: str
    arg: object = None


@dataclass(frozen=True)
class MenuItem:
    """One entry. A ``children`` tuple makes it a submenu; ``separator`` a line; an item with
    neither ``action`` nor children is a disabled caption. ``icon``: ``swatch:#RRGGBB``,
    ``thumb:PATH`` (a picture's thumbnail) or ``icon:NAME`` (assets/icons/NAME.svg).
    ``checked`` on a submenu marks the one in use (e.g. the current camera)."""

    text: str = ""
    action: Action | None = None
    checkable: bool = False
    checked: bool = False
    enabled: bool = True
    icon: str | None = None
    children: tuple[MenuItem, ...] = ()
    separator: bool = False
    shortcut: str | None = None

    @property
    def is_menu(self) -> bool:
        return bool(self.children)


SEPARATOR = MenuItem(separator=True)

# The cameras found, as (index, label, sizes) each (``vbg.capture.list_cameras`` without the
# probing details).
CameraList = list[tuple[int, str, tuple[tuple[int, int], ...]]]


@dataclass(frozen=True)
class CameraChoice:
    """A capture source the Camera menu offers: its ``source`` string ("0", "demo"), a label
    and the sizes to offer."""

    source: str
    label: str
    sizes: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ModelChoice:
    """A model the Model menu offers (from ``vbg.matting.registry.list_models``)."""

    key: str
    name: str
    builtin: bool


@dataclass(frozen=True)
class MenuState:
    """A snapshot of everything the menus show."""

    running: bool = True
    paused: bool = False
    background: str = f"blur:{BLUR_LIGHT}"
    backgrounds: tuple[BackgroundFile, ...] = ()
    cameras: tuple[CameraChoice, ...] = ()
    source: str = "demo"
    size: tuple[int, int] = (1280, 720)
    models: tuple[ModelChoice, ...] = ()
    model: str = DEFAULT_MODEL
    mirror: bool = False
    framing: bool = False  # auto-framing on
    light: bool = False  # low-light correction on
    preview_visible: bool = False
    mask_view: bool = False
    fps_overlay: bool = False
    vcam_on: bool = False
    status_line: str = ""


# ------------------------------------------------------------------------------ sections


def _same_background(a: str, b: str) -> bool:
    try:
        return normalise(a) == normalise(b)
    except ValueError:
        return False


def background_items(state: MenuState, keys: bool = False) -> tuple[MenuItem, ...]:
    """None, the blurs, the palette, the folder's pictures, then add/open. ``keys`` (the
    window's menu bar): also what the b / n / p keys do, with the keys as hints."""

    def item(spec: str, icon: str | None = None) -> MenuItem:
        return MenuItem(title_of(spec), Action(BACKGROUND, spec), checkable=True,
                        checked=_same_background(spec, state.background), icon=icon)

    items: list[MenuItem] = [
        item("none", "icon:camera"),
        item(f"blur:{BLUR_LIGHT}", "icon:blur"),
        item(f"blur:{BLUR_STRONG}", "icon:blur"),
        SEPARATOR,
        *(item(spec, "swatch:" + spec.partition(":")[2]) for spec in color_specs()),
    ]
    if state.backgrounds:
        items.append(SEPARATOR)
        items += [item(f.spec, f"thumb:{f.path}") for f in state.backgrounds]
    current = state.background
    known = {normalise(s) for s in (i.action.arg for i in items if i.action)}  # type: ignore[arg-type]
    if not _in(current, known) and current.partition(":")[0] in ("image", "video", "color",
                                                                 "blur"):
        # A background from the command line or settings that the folder doesn't hold.
        path = current.partition(":")[2]
        icon = f"thumb:{path}" if current.startswith("image:") else None
        items.append(MenuItem(title_of(current), Action(BACKGROUND, current), checkable=True,
                              checked=True, icon=icon))
    if keys:
        order = choices(state.backgrounds)
        items += [
            SEPARATOR,
            MenuItem("Next background", Action(BACKGROUND, step(current, order, 1)),
                     shortcut="N"),
            MenuItem("Previous background", Action(BACKGROUND, step(current, order, -1)),
                     shortcut="P"),
            MenuItem("Next colour", Action(BACKGROUND, next_color(current)), shortcut="B"),
        ]
    items += [
        SEPARATOR,
        MenuItem("Add image or video…", Action(ADD_BACKGROUND), icon="icon:add"),
        MenuItem("Open backgrounds folder", Action(OPEN_BACKGROUNDS), icon="icon:folder"),
    ]
    return tuple(items)


def _in(spec: str, known: set[str]) -> bool:
    try:
        return normalise(spec) in known
    except ValueError:
        return True  # an unparsable spec is not offered again


def _size_text(size: tuple[int, int]) -> str:
    return f"{size[0]} × {size[1]}"


DEMO_SIZES = CAMERA_SIZES  # the demo picture is scaled to any size


def camera_choices(cameras: CameraList) -> tuple[CameraChoice, ...]:
    """The Camera menu's entries: each ``(index, label, sizes)`` found (as
    ``vbg.capture.list_cameras`` reports them), then the demo picture, which always works."""
    found = [CameraChoice(str(i), label if label.lower().startswith("camera")
                          else f"{label} (camera {i})", tuple(sizes) or DEMO_SIZES)
             for i, label, sizes in cameras]
    return (*found, CameraChoice("demo", "Demo picture (no camera)", DEMO_SIZES))


def camera_items(state: MenuState) -> tuple[MenuItem, ...]:
    """A submenu per camera with its sizes; the one in use is checked."""
    cams = list(state.cameras)
    if not any(c.source == state.source for c in cams):
        label = "Demo picture" if state.source == "demo" else f"Source {state.source}"
        cams.append(CameraChoice(state.source, label, (state.size,)))
    items: list[MenuItem] = []
    if not any(c.source.isdigit() for c in cams):
        items.append(MenuItem("No camera found", enabled=False))
    for cam in cams:
        current = cam.source == state.source
        sizes = list(cam.sizes)
        if current and state.size not in sizes:
            sizes.append(state.size)
        children = tuple(
            MenuItem(_size_text(s), Action(CAMERA, (cam.source, s[0], s[1])), checkable=True,
                     checked=current and s == state.size)
            for s in sizes
        )
        items.append(MenuItem(cam.label, children=children, checked=current,
                              icon="icon:camera"))
    return tuple(items)


def model_items(state: MenuState) -> tuple[MenuItem, ...]:
    """Built-in models, then the user's (each group under a caption), then a folder link. Each
    shows its name; its key follows only where two models share a name."""
    items: list[MenuItem] = []
    known = {m.key for m in state.models}
    names = Counter(m.name for m in state.models)
    for builtin, caption in ((True, "Built-in"), (False, "Your models")):
        group = [m for m in state.models if m.builtin == builtin]
        if not group:
            continue
        if items:
            items.append(SEPARATOR)
        items.append(MenuItem(caption, enabled=False))
        # The name alone (the key is in `vbg models`); the key only tells apart equal names.
        items += [MenuItem(m.name if names[m.name] == 1 or m.name == m.key
                           else f"{m.name} — {m.key}",
                           Action(MODEL, m.key), checkable=True, checked=m.key == state.model)
                  for m in group]
    if state.model not in known:
        if items:
            items.append(SEPARATOR)
        items.append(MenuItem(Path(state.model).name, Action(MODEL, state.model),
                              checkable=True, checked=True))
    items += [SEPARATOR, MenuItem("Open models folder", Action(OPEN_MODELS), icon="icon:folder")]
    return tuple(items)


def _running_item(state: MenuState) -> MenuItem:
    return MenuItem("On", Action(RUNNING, not state.running), checkable=True,
                    checked=state.running, icon="icon:power")


# The tray menu shows no keys: a tray menu never has the keyboard focus, so a key hint there
# would promise something that does nothing. The window's menu bar shows the window's keys.


def _pause_item(state: MenuState, key: str | None = None) -> MenuItem:
    return MenuItem("Pause (show background only)", Action(PAUSE, not state.paused),
                    checkable=True, checked=state.paused, enabled=state.running,
                    icon="icon:pause", shortcut=key)


def _mirror_item(state: MenuState, key: str | None = None) -> MenuItem:
    return MenuItem("Mirror", Action(MIRROR, not state.mirror), checkable=True,
                    checked=state.mirror, icon="icon:mirror", shortcut=key)


def _framing_item(state: MenuState, key: str | None = None) -> MenuItem:
    return MenuItem("Auto-framing", Action(FRAMING, not state.framing), checkable=True,
                    checked=state.framing, icon="icon:framing", shortcut=key)


def _light_item(state: MenuState) -> MenuItem:
    return MenuItem("Low-light correction", Action(LIGHT, not state.light), checkable=True,
                    checked=state.light)


def prepare(state: MenuState) -> tuple[MenuItem, ...]:
    """The tray menu for ``state`` (no item carries a ``shortcut``; see above)."""
    items: list[MenuItem] = []
    if state.status_line:
        items += [MenuItem(state.status_line, enabled=False), SEPARATOR]
    items += [
        _running_item(state),
        _pause_item(state),
        SEPARATOR,
        MenuItem("Background", children=background_items(state), icon="icon:image"),
        MenuItem("Camera", children=camera_items(state), icon="icon:camera"),
        MenuItem("Model", children=model_items(state), icon="icon:model"),
        _mirror_item(state),
        _framing_item(state),
        _light_item(state),
        SEPARATOR,
        MenuItem("Show preview", Action(PREVIEW, not state.preview_visible), checkable=True,
                 checked=state.preview_visible, icon="icon:preview"),
        MenuItem("Cut out a photo or video…", Action(STILLS), icon="icon:photo"),
        MenuItem("Settings…", Action(SETTINGS), icon="icon:settings"),
    ]
    if not state.vcam_on:
        items.append(MenuItem("Virtual camera off — set up…", Action(VCAM_HELP),
                              icon="icon:warning"))
    items += [SEPARATOR, MenuItem("Quit", Action(QUIT), icon="icon:quit")]
    return tuple(items)


def prepare_menubar(state: MenuState) -> tuple[MenuItem, ...]:
    """The window's menu bar: the tray's controls grouped into menus, plus the view options
    that only make sense with the window. Used with or without a tray, so the window alone is
    enough to drive the app."""
    app = (
        _running_item(state),
        _pause_item(state, "Space"),
        SEPARATOR,
        MenuItem("Cut out a photo or video…", Action(STILLS), icon="icon:photo", shortcut="Ctrl+O"),
        MenuItem("Settings…", Action(SETTINGS), icon="icon:settings", shortcut="Ctrl+,"),
        MenuItem("Virtual camera…", Action(VCAM_HELP), icon="icon:help"),
        SEPARATOR,
        MenuItem("Quit", Action(QUIT), icon="icon:quit", shortcut="Ctrl+Q"),
    )
    view = (
        _mirror_item(state, "M"),
        _framing_item(state, "A"),
        _light_item(state),
        MenuItem("Mask view", Action(MASK_VIEW, not state.mask_view), checkable=True,
                 checked=state.mask_view, icon="icon:mask"),
        MenuItem("FPS overlay", Action(FPS_OVERLAY, not state.fps_overlay), checkable=True,
                 checked=state.fps_overlay, icon="icon:gauge", shortcut="F"),
        SEPARATOR,
        MenuItem("Messages…", Action(MESSAGES), icon="icon:messages"),
    )
    return (
        MenuItem("&vbg", children=app),
        MenuItem("&Background", children=background_items(state, keys=True)),
        MenuItem("&Camera", children=camera_items(state)),
        MenuItem("&Model", children=model_items(state)),
        MenuItem("V&iew", children=view),
    )


def find(items: tuple[MenuItem, ...], *path: str) -> MenuItem:
    """The item at ``path`` of texts (e.g. ``find(items, "Background", "Sage green")``);
    ``KeyError`` when there is none. For tests and for the UI's lookups."""
    for item in items:
        if item.text.replace("&", "") == path[0]:
            return item if len(path) == 1 else find(item.children, *path[1:])
    raise KeyError(" > ".join(path))
