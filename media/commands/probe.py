import json

from .. import ffmpeg

HELP = "Probe a media file: duration, streams, channels (JSON on stdout)."


def add_arguments(p):
    p.add_argument("file")


def run(args) -> int:
    print(json.dumps(ffmpeg.probe(args.file).as_dict(), indent=2))
    return 0
