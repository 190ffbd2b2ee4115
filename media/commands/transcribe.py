"""`transcribe FILE --json OUT`: faster-whisper transcript with word timestamps."""
import json
from pathlib import Path

from .. import asr

HELP = "Transcribe (or translate to English) speech with faster-whisper; writes JSON."


def add_arguments(p):
    p.add_argument("file")
    p.add_argument("--model", default="tiny.en", help="tiny.en (bundled) or a name under MODELS_DIR/whisper")
    p.add_argument("--task", choices=asr.TASKS, default="transcribe")
    p.add_argument("--language", default=None, help="ISO 639-1 code; detected when omitted")
    p.add_argument("--channel", type=int, default=None, help="transcribe one channel instead of the downmix")
    p.add_argument("--json", required=True, dest="json_out", help="output JSON path")


def run(args) -> int:
    result = asr.transcribe(args.file, model=args.model, task=args.task, language=args.language,
                            channel=args.channel)
    out = Path(args.json_out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result.as_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"{result.language} ({result.language_probability:.2f}), {len(result.segments)} segments -> {out}")
    return 0
