"""Errors of the training tools: each carries one sentence naming the file or key at fault."""

from __future__ import annotations

from vbg.errors import VbgError


class TrainingError(VbgError):
    """Base of the training errors; ``str(err)`` is the sentence shown to the user."""


class DataError(TrainingError):
    """A data folder, image or mask can't be used (missing masks, unreadable files, empty split)."""


class ConfigError(TrainingError):
    """A config file or ``--set`` key/value is wrong (unknown key, bad type, bad value)."""
