"""Errors a user can act on.

Every error carries one sentence for the user: what was wrong and what to do. The CLI prints
it and exits with status 2; the UI shows it. Anything else that escapes is a bug.
"""

from __future__ import annotations


class VbgError(Exception):
    """Base class; ``str(err)`` is the sentence shown to the user."""


class UserError(VbgError):
    """A bad option value or combination (command line, settings); printed as one sentence."""


class SourceError(VbgError):
    """A video file, image or other input could not be opened or read."""


class CameraError(SourceError):
    """The webcam is absent, busy, unplugged, or can't deliver the requested format."""


class SourceEnded(Exception):
    """A finite source (an image list, a non-looping file) has no more frames. Not an error."""


class ModelError(VbgError):
    """The segmentation model is missing, not a segmentation model, or failed to run."""


class OutputError(VbgError):
    """The virtual camera or an output file can't be opened or written."""


class BackgroundError(VbgError):
    """The background image or video can't be loaded."""


def clause(error: BaseException | str) -> str:
    """``error``'s sentence made to follow a colon inside another sentence: its first letter
    lowered where the first word is an ordinary capitalised word ("The file … does not exist"
    → "the file …"); kept where it is an acronym, a name with capitals or a path ("OBS …",
    "/dev/video2 …"). For "Could not cut out the photo: the file … does not exist."."""
    text = str(error)
    word = text.split(" ", 1)[0]
    ordinary = word == "A" or (len(word) > 1 and word[0].isupper() and word[1:].isalpha()
                               and word[1:].islower())
    return text[0].lower() + text[1:] if ordinary else text


def reason(exc: BaseException) -> str:
    """What went wrong, in the words of the OS or the library: ``exc``'s ``strerror``, else its
    message, else its type's name. For "… ({reason}); check …" sentences."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
