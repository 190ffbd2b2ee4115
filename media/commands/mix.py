import json

from .. import mix

HELP = "Mix dialogue over a background stem: ducking, loudness to target LUFS, true peak under -1 dBTP."


def add_arguments(p):
    p.add_argument("--dialogue", required=True)
    p.add_argument("--background", help="background stem (omit to master dialogue alone)")
    p.add_argument("--out", required=True)
    p.add_argument("--target-lufs", type=float, default=-23.0)
    p.add_argument("--true-peak", type=float, default=-1.0, help="ceiling in dBTP")
    p.add_argument("--duck-db", type=float, default=-10.0, help="how far the bed drops under dialogue")


def run(args) -> int:
    result = mix.mix(args.dialogue, args.background, args.out, target_lufs=args.target_lufs,
                     true_peak_dbtp=args.true_peak, duck_db=args.duck_db)
    print(json.dumps(result.as_dict(), indent=2))
    return 0
