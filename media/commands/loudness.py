import json

from .. import loudness

HELP = "EBU R128: integrated loudness (LUFS) and true peak (dBTP) of a file."


def add_arguments(p):
    p.add_argument("file")
    p.add_argument("--json", action="store_true")


def run(args) -> int:
    result = loudness.measure(args.file)
    print(json.dumps(result.as_dict()) if args.json else str(result))
    return 0
