"""Server paths out of what users see: job events, engine notes, public manifests.

Engines explain themselves with paths ("no demucs weights in /srv/dubsite/var/models/demucs");
that helps an admin on the server and tells everyone else the machine's layout. Known roots
become `$NAME`; any other absolute path keeps only its last two parts (enough to read a
traceback: `…/faster_whisper/transcribe.py`).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["redact"]

# an absolute path: starts at a word boundary that is not part of a relative path or URL
_ABSOLUTE = re.compile(r"(?<![\w.$~:/-])(/(?:[\w.@+-]+/)+)([\w.@+-]+)")


def _tail(match: re.Match) -> str:
    parts = [p for p in match.group(1).split("/") if p]
    return "…/" + "/".join(parts[-1:] + [match.group(2)])


def redact(value: Any, roots: dict[str, str | Path]) -> Any:
    """`value` (str, or dicts/lists/tuples of them) with paths under `roots` written `$NAME/...`
    and other absolute paths shortened. Longer roots win when they nest."""
    if isinstance(value, str):
        for name, root in sorted(roots.items(), key=lambda kv: -len(str(kv[1]))):
            root = str(root).rstrip("/")
            if root:
                value = re.sub(re.escape(root) + r"(?=/|\b|$)", "$" + name, value)
        return _ABSOLUTE.sub(_tail, value)
    if isinstance(value, dict):
        return {k: redact(v, roots) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v, roots) for v in value)
    return value
