"""`python -m media <stage> ...` (and `manage.py media ...`): run one stage alone on a file.

Each subcommand lives in `media/commands/<name>.py` with `HELP`, `add_arguments(parser)` and
`run(args) -> int`. Failures exit non-zero with a one-line reason on stderr.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import MediaError

__all__ = ["COMMANDS", "build_parser", "main"]

# subcommand -> module under media.commands
COMMANDS = {
    "transcribe": "transcribe",
    "diarize": "diarize",
    "embed": "embed",
    "separate": "separate",
    "synthesize": "synthesize",
    "mix": "mix",
    "loudness": "loudness",
    "probe": "probe",
}


def _module(name: str):
    return importlib.import_module(f"media.commands.{COMMANDS[name]}")


def build_parser(prog: str = "python -m media") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run one dubbing stage on a file.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        try:
            module = _module(name)
        except ModuleNotFoundError:
            continue  # a stage whose command module is not written yet
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None, prog: str = "python -m media") -> int:
    args = build_parser(prog).parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except MediaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
