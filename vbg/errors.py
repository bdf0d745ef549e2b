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
