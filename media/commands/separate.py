import json

from .. import separation

HELP = "Split a file into dialogue and background stems (demucs, DeepFilterNet3, or a flagged fallback)."


def add_arguments(p):
    p.add_argument("file")
    p.add_argument("--out", required=True, help="folder for dialogue.wav and background.wav")
    p.add_argument("--engine", choices=["demucs", "deepfilternet", "passthrough"], help="try this engine first")
    p.add_argument("--model", default=separation.DEFAULT_MODEL, help="demucs model name in MODELS_DIR/demucs")


def run(args) -> int:
    result = separation.separate(args.file, args.out, preference=[args.engine] if args.engine else None,
                                 engines=separation.registry(args.model))
    print(json.dumps(result.as_dict(), indent=2))
    return 0
