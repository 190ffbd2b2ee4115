"""`diarize FILE --rttm OUT`: who speaks when."""
import json
from pathlib import Path

from .. import diarization

HELP = "Diarize speakers (pyannote → offline pyannote + embeddings → VAD clustering); writes RTTM."


def add_arguments(p):
    p.add_argument("file")
    p.add_argument("--min-speakers", type=int, default=None)
    p.add_argument("--max-speakers", type=int, default=None)
    p.add_argument("--num-speakers", type=int, default=None)
    p.add_argument("--engine", default=None, help="pyannote | pyannote-offline | vad-clustering")
    p.add_argument("--embedding", default=None, help="ecapa | campplus | resemblyzer")
    p.add_argument("--rttm", required=True, help="output RTTM path")
    p.add_argument("--json", default=None, dest="json_out", help="also write turns + engine decisions as JSON")


def run(args) -> int:
    result = diarization.diarize(args.file, engine=args.engine, embedding=args.embedding,
                                 min_speakers=args.min_speakers, max_speakers=args.max_speakers,
                                 num_speakers=args.num_speakers)
    diarization.write_rttm(result.turns, args.rttm, uri=Path(args.file).stem)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")
    print(f"{result.num_speakers} speakers, {len(result.turns)} turns ({result.engine}) -> {args.rttm}")
    return 0
