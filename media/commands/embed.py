"""`embed FILE --json OUT`: one speaker embedding for a clip."""
import json
from pathlib import Path

from .. import embeddings

HELP = "Speaker embedding of a one-speaker clip (ECAPA → CAM++ → resemblyzer); writes JSON."


def add_arguments(p):
    p.add_argument("file")
    p.add_argument("--engine", default=None, help="ecapa | campplus | resemblyzer")
    p.add_argument("--json", required=True, dest="json_out", help="output JSON: model_id, dim, vector")


def run(args) -> int:
    result = embeddings.embed(args.file, engine=args.engine)
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.as_dict()), encoding="utf-8")
    print(f"{result.model_id} ({result.dim} dims) -> {out}")
    return 0
