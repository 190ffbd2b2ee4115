"""Where models live. Read from the environment so the layer stays Django-free."""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["models_dir", "ffmpeg_timeout"]


def models_dir() -> Path:
    """MODELS_DIR, default `var/models` under the current directory."""
    return Path(os.environ.get("MODELS_DIR") or Path.cwd() / "var" / "models").resolve()


def ffmpeg_timeout() -> float:
    return float(os.environ.get("DUBSITE_FFMPEG_TIMEOUT", "1800"))
