"""The backgrounds a user can pick: presets, the bundled pictures and the user's folder.

A background is named by its CLI spec string (``none``, ``blur:N``, ``color:#RRGGBB``,
``image:PATH``, ``video:PATH``, see :meth:`vbg.config.BackgroundConfig.parse`), so the menu,
the picker, the settings file and the keyboard cycling all speak the same language.

The order of :func:`choices` is the order of the picker grid and of the n / p keys: none, the
two blur strengths, the colour palette, then the bundled pictures, then the user's files.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from vbg import resources
from vbg.config import COLOR_PALETTE, BackgroundConfig, BackgroundKind, color_hex
from vbg.errors import BackgroundError
from vbg.fileio import atomic_output
from vbg.imaging import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

# The two blur presets of the menu. "Light" is the CLI default (blur = blur:5), so a fresh
# install shows a ticked preset rather than none.
BLUR_LIGHT = 5
BLUR_STRONG = 10

# Names for COLOR_PALETTE entries (keyed by BGR so a reordered palette keeps its names; a colour
# without a name is shown as its hex code).
COLOR_NAMES: dict[tuple[int, int, int], str] = {
    (64, 48, 40): "Slate",
    (120, 120, 120): "Grey",
    (235, 235, 235): "Off-white",
    (160, 110, 40): "Deep blue",
    (90, 130, 60): "Sage green",
    (60, 90, 150): "Terracotta",
    (30, 30, 30): "Near black",
}


def user_backgrounds_dir() -> Path:
    """The user's backgrounds folder (created on demand by :func:`import_background`)."""
    return Path(platformdirs.user_data_dir("vbg", appauthor=False)) / "backgrounds"


def builtin_backgrounds_dir() -> Path:
    """The pictures shipped with vbg (``assets/backgrounds``)."""
    return resources.asset("backgrounds")


@dataclass(frozen=True)
class BackgroundFile:
    """An image or video in a backgrounds folder; ``builtin`` for the shipped ones."""

    path: Path
    kind: BackgroundKind  # "image" or "video"
    builtin: bool = False

    @property
    def spec(self) -> str:
        return BackgroundConfig(kind=self.kind, path=str(self.path)).spec

    @property
    def title(self) -> str:
        """A readable name: ``sunset_beach-2.jpg`` -> ``Sunset beach 2``."""
        words = self.path.stem.replace("_", " ").replace("-", " ").split()
        text = " ".join(words) or self.path.name
        return text[:1].upper() + text[1:]


def kind_of(path: str | Path) -> BackgroundKind | None:
    """"image" or "video" by file extension; None for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return "image"
    if suffix in VIDEO_EXTENSIONS:
        return "video"
    return None


def list_backgrounds(folders: Iterable[tuple[Path, bool]]) -> list[BackgroundFile]:
    """The images and videos in ``folders`` (``(folder, builtin)`` pairs), in that order,
    sorted by name within each; hidden files (our temp files among them) and missing folders
    are skipped."""
    found: list[BackgroundFile] = []
    for folder, builtin in folders:
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name.lower())
        except OSError:
            continue
        for p in entries:
            kind = kind_of(p)
            if kind and not p.name.startswith(".") and p.is_file():
                found.append(BackgroundFile(p, kind, builtin))
    return found


def default_folders(user_dir: Path | None = None) -> list[tuple[Path, bool]]:
    """The bundled folder, then the user's (``user_dir`` or :func:`user_backgrounds_dir`)."""
    return [(builtin_backgrounds_dir(), True), (user_dir or user_backgrounds_dir(), False)]


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def import_background(src: str | Path, folder: Path) -> Path:
    """Copy a dropped or chosen image/video into ``folder`` and return the copy's path.

    The same file dropped twice is not copied twice (the existing copy is returned); a different
    file with a taken name gets ``name-2.ext``. The copy is written to a temporary file and
    renamed, so the folder never holds half a picture. Raises ``BackgroundError`` (a user
    sentence) for a file of another type or one that can't be read or written.
    """
    src = Path(src)
    kind = kind_of(src)
    if kind is None:
        known = ", ".join(sorted(IMAGE_EXTENSIONS | VIDEO_EXTENSIONS))
        raise BackgroundError(f"{src.name} is not an image or video vbg can use ({known}).")
    if not src.is_file():
        raise BackgroundError(f"{src} does not exist or is not a file.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if src.resolve().parent == folder.resolve():
            return src  # already in the folder: nothing to copy
        digest = _digest(src)
        for existing in list_backgrounds([(folder, False)]):
            if existing.path.stat().st_size == src.stat().st_size and \
                    _digest(existing.path) == digest:
                return existing.path
        target = _free_name(folder, src.stem, src.suffix.lower())
        with atomic_output(target) as out, src.open("rb") as inp:
            shutil.copyfileobj(inp, out)
    except OSError as exc:
        raise BackgroundError(
            f"Could not copy {src.name} into {folder} ({exc.strerror or exc}); check that the "
            "folder is writable."
        ) from exc
    return target


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    candidate = folder / f"{stem}{suffix}"
    n = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


# ------------------------------------------------------------------------------ removing


def removable(spec: str, folder: Path) -> Path | None:
    """The file behind ``spec`` when the user may remove it, else None.

    Only pictures and videos the user added may go: an ``image:``/``video:`` spec whose file
    sits directly in the user's backgrounds ``folder`` (a symlink there counts as the file it
    is; only the link would go). Presets, colours, the bundled pictures and a file elsewhere
    (given on the command line) can't be removed here. A file already gone still answers
    its path (removing it is then nothing to do).
    """
    try:
        bg = BackgroundConfig.parse(spec)
    except ValueError:
        return None
    if bg.kind not in ("image", "video") or not bg.path:
        return None
    path = Path(bg.path)
    try:
        home = folder.resolve()
        if (path.parent.resolve() != home or home == builtin_backgrounds_dir().resolve()
                or kind_of(path) is None or path.name.startswith(".")):
            return None
        if path.is_dir() and not path.is_symlink():  # a folder named like a picture
            return None
    except OSError:
        return None
    return path


def remove_background(spec: str, folder: Path) -> Path:
    """Delete the file of an added background (see :func:`removable`) from ``folder`` and
    return its path. A file that is already gone counts as removed. Raises
    ``BackgroundError`` (a user sentence) for anything else or when deleting fails."""
    path = removable(spec, folder)
    if path is None:
        name = Path(spec.partition(":")[2]).name or spec
        raise BackgroundError(f"{name} is not one of the backgrounds you added, so vbg does not "
                              "remove it; only files in your backgrounds folder can be removed.")
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise BackgroundError(f"Could not remove {path.name} from {folder} "
                              f"({exc.strerror or exc}); check that the folder is writable."
                              ) from exc
    return path


# ------------------------------------------------------------------------------ spec strings


def color_name(bgr: Sequence[int]) -> str:
    """The palette name of a colour, else its hex code."""
    key = tuple(int(c) for c in bgr)
    return COLOR_NAMES.get(key, color_hex(bgr))  # type: ignore[arg-type]


def normalise(spec: str) -> str:
    """A spec in canonical form (``blur`` -> ``blur:5``, ``colour:#abc123`` -> ``color:#ABC123``).
    ``ValueError`` for a spec that doesn't parse."""
    return BackgroundConfig.parse(spec).spec


def title_of(spec: str) -> str:
    """What the UI calls a background: "Blur (light)", "Sage green", "Beach"..."""
    bg = BackgroundConfig.parse(spec)
    if bg.kind == "none":
        return "None (camera as is)"
    if bg.kind == "blur":
        if bg.blur_level == BLUR_LIGHT:
            return "Blur (light)"
        if bg.blur_level == BLUR_STRONG:
            return "Blur (strong)"
        return f"Blur (level {bg.blur_level})"
    if bg.kind == "color":
        return color_name(bg.color)
    return BackgroundFile(Path(bg.path or ""), bg.kind).title


def preset_specs() -> list[str]:
    """none, light blur, strong blur, then the palette colours."""
    return [BackgroundConfig(kind="none").spec,
            *(BackgroundConfig(kind="blur", blur_level=n).spec for n in (BLUR_LIGHT, BLUR_STRONG)),
            *color_specs()]


def color_specs() -> list[str]:
    return [BackgroundConfig(kind="color", color=c).spec for c in COLOR_PALETTE]


def choices(files: Iterable[BackgroundFile]) -> list[str]:
    """Every background in picker order: the presets, then ``files``."""
    return [*preset_specs(), *(f.spec for f in files)]


def step(current: str, options: Sequence[str], delta: int) -> str:
    """The option ``delta`` places after ``current`` (wrapping around).

    A current background that is not among the options (a file given on the command line, a
    custom colour) counts as sitting before the first option, so "next" gives the first and
    "previous" the last.
    """
    if not options:
        return current
    try:
        i = list(options).index(normalise(current))
    except ValueError:
        return options[0] if delta > 0 else options[-1]
    return options[(i + delta) % len(options)]


def next_color(current: str) -> str:
    """The palette colour after ``current`` (the first one when ``current`` isn't a palette
    colour): what the b key does."""
    return step(current, color_specs(), 1)
