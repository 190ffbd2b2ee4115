import json

from .. import tts

HELP = "Synthesize one line through the TTS chain (xtts clone → xtts preset → piper → flite → espeak → silence)."


def add_arguments(p):
    p.add_argument("--text", required=True)
    p.add_argument("--out", required=True, help="WAV to write")
    p.add_argument("--engine", choices=list(tts.ORDER), help="try this engine first")
    p.add_argument("--voice", help="voice key, e.g. piper:en_US-joe-medium:st=+8:fs=+3, flite:slt, espeak:f3:p=60:s=170, "
                                   "xtts-preset:NAME, or a character code (gets its espeak voice)")
    p.add_argument("--gender", choices=["m", "f"], help="with a character code: pick from this gender's voices")
    p.add_argument("--ref", help="reference WAV to clone (turns cloning on)")
    p.add_argument("--language", default="en")
    p.add_argument("--slot", type=float, help="slot length in seconds (silence fallback uses it)")
    p.add_argument("--list-voices", action="store_true", help="print the available non-clone voices and exit")


def _voice(args):
    if not args.voice:
        return None
    head = args.voice.split(":", 1)[0]
    if head in tts.ORDER or head == "any":
        return tts.VoiceSpec.parse(args.voice)
    return tts.character_voice(args.voice, args.gender or "", language=args.language)


def run(args) -> int:
    if args.list_voices:
        for voice in tts.list_voices(args.language):
            print(voice.key)
        return 0
    request = tts.TtsRequest(args.text, args.language, voice=_voice(args), ref_wav=args.ref, clone=bool(args.ref),
                             slot_seconds=args.slot)
    result = tts.synthesize(request, preference=[args.engine] if args.engine else None)
    result.save(args.out)
    print(json.dumps(result.manifest() | {"out": args.out}, indent=2))
    return 0
