"""Errors of the processing layer. Each carries a one-line reason a user can act on."""

__all__ = ["MediaError", "InvalidMediaError", "EngineUnavailable", "EngineFailed"]


class MediaError(Exception):
    """Base class: `str(err)` is a one-line, user-facing reason."""


class InvalidMediaError(MediaError):
    """The input is not usable media (corrupt, empty, no audio, too short...)."""


class EngineUnavailable(MediaError):
    """An engine cannot run here (missing weights, package, binary)."""


class EngineFailed(MediaError):
    """An engine was available but failed on this input; the next engine may be tried."""
