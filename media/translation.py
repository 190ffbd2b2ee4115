"""Line translation: identity (same language) → CTranslate2 MT from MODELS_DIR/mt/<src>-<tgt>
→ whisper `translate` (any language → English, from the line's audio) → nothing.

When no engine can translate a pair the source text is kept and every line is flagged
`needs_translation`: a copy is never presented as a translation. A glossary forces series
terms and character names onto MT output and flags lines where a term went missing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from . import modelpaths
from .cache import models as model_cache
from .engine import Registry
from .errors import EngineFailed, EngineUnavailable, MediaError

__all__ = ["ISO_639_1", "check_code", "SourceLine", "TranslatedLine", "Translation", "GlossaryTerm", "Glossary",
           "IdentityEngine", "CTranslate2Engine", "WhisperTranslateEngine", "registry", "translate",
           "NEEDS_TRANSLATION"]

ISO_639_1 = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz "
    "ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik "
    "io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml "
    "mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd "
    "se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi "
    "vo wa wo xh yi yo za zh zu".split())
NEEDS_TRANSLATION = "needs_translation"


def check_code(code: str) -> str:
    norm = (code or "").strip().lower()
    if norm not in ISO_639_1:
        raise MediaError(f"unknown language code {code!r} (expected an ISO 639-1 code such as en, fr, de)")
    return norm


@dataclass(frozen=True)
class SourceLine:
    text: str
    start: float | None = None  # seconds in `audio`; whisper translate needs them
    end: float | None = None


@dataclass
class TranslatedLine:
    source_text: str
    target_text: str
    engine: str
    flags: list[str] = field(default_factory=list)


@dataclass
class Translation:
    lines: list[TranslatedLine]
    engine: str
    notes: list[str] = field(default_factory=list)  # which engine ran and why others did not


# ---------------------------------------------------------------- glossary

@dataclass(frozen=True)
class GlossaryTerm:
    source: str  # as it appears in the source language
    target: str  # the form that must appear in the translation
    variants: tuple[str, ...] = ()  # wrong renderings to replace (e.g. ASR/MT spellings)


class Glossary:
    """Series terms and character names. Applied to engine output: known variants and
    untranslated copies of the source term become the target form; a term present in the
    source but absent from the result flags the line `glossary_missing:<term>`."""

    def __init__(self, terms: Iterable[GlossaryTerm] | dict[str, str] = ()):
        if isinstance(terms, dict):
            terms = [GlossaryTerm(k, v) for k, v in terms.items()]
        self.terms = [t for t in terms if t.source.strip() and t.target.strip()]
        table: dict[str, str] = {}
        for t in self.terms:
            for form in (t.source, *t.variants):
                if form.casefold() != t.target.casefold():
                    table.setdefault(form.casefold(), t.target)
        self._table = table
        forms = sorted(table, key=len, reverse=True)  # longest first: "Old Town" before "Town"
        self._pattern = re.compile("|".join(_word(re.escape(f)) for f in forms), re.I) if forms else None

    @classmethod
    def from_json(cls, path: str | Path) -> "Glossary":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls([GlossaryTerm(d["source"], d["target"], tuple(d.get("variants", ()))) for d in data])

    def apply(self, source_text: str, target_text: str) -> tuple[str, list[str]]:
        text = target_text
        if self._pattern is not None:  # one pass, so a replacement is never replaced again

            def force(m: re.Match) -> str:
                target = self._table[m.group(0).casefold()]
                # already the target form ("Ash" inside "Ash Ketchum"): applying twice changes nothing
                if text[m.start(): m.start() + len(target)].casefold() == target.casefold():
                    return m.group(0)
                return target

            text = self._pattern.sub(force, text)
        flags = [f"glossary_missing:{t.source}" for t in self.terms
                 if _contains(source_text, t.source) and not _contains(text, t.target)]
        return text, flags


def _word(pattern: str) -> str:
    return rf"(?<!\w){pattern}(?!\w)"


def _contains(text: str, term: str) -> bool:
    return re.search(_word(re.escape(term)), text, re.I) is not None


# ---------------------------------------------------------------- engines

class IdentityEngine:
    name = "identity"

    def __init__(self, source: str, target: str):
        self.source, self.target = source, target

    def availability(self) -> tuple[bool, str]:
        if self.source == self.target:
            return True, "source and target language are the same"
        return False, f"{self.source}->{self.target} is a translation"

    def translate(self, lines: Sequence[SourceLine], audio=None) -> list[str]:
        return [line.text for line in lines]


class CTranslate2Engine:
    """CTranslate2 model directory MODELS_DIR/mt/<src>-<tgt>/ with SentencePiece models:
    Marian/OPUS-MT layout (source.spm + target.spm) or a shared `sentencepiece.bpe.model`
    (NLLB/M2M). An optional mt.json gives {"source_prefix": [...], "target_prefix": [...]}
    tokens, e.g. NLLB's ["fra_Latn"]."""

    name = "ctranslate2"

    def __init__(self, source: str, target: str, beam_size: int = 4):
        self.source, self.target, self.beam_size = source, target, beam_size

    def _files(self, root: Path) -> tuple[Path, Path] | None:
        if (root / "source.spm").is_file() and (root / "target.spm").is_file():
            return root / "source.spm", root / "target.spm"
        if (root / "sentencepiece.bpe.model").is_file():
            return root / "sentencepiece.bpe.model", root / "sentencepiece.bpe.model"
        return None

    def availability(self) -> tuple[bool, str]:
        root, reason = modelpaths.mt_dir(self.source, self.target)
        if root is None:
            return False, reason
        if self._files(root) is None:
            return False, f"{root} has no SentencePiece model (source.spm/target.spm or sentencepiece.bpe.model)"
        try:
            import ctranslate2  # noqa: F401
            import sentencepiece  # noqa: F401
        except ImportError as exc:
            return False, f"ctranslate2/sentencepiece not installed ({exc})"
        return True, f"CTranslate2 model in {root}"

    def _load(self, root: Path):
        import ctranslate2
        import sentencepiece as spm

        src_spm, tgt_spm = self._files(root)
        options = json.loads((root / "mt.json").read_text(encoding="utf-8")) if (root / "mt.json").is_file() else {}
        translator = ctranslate2.Translator(str(root), device="cpu", compute_type="int8")
        return (translator, spm.SentencePieceProcessor(model_file=str(src_spm)),
                spm.SentencePieceProcessor(model_file=str(tgt_spm)), options)

    def translate(self, lines: Sequence[SourceLine], audio=None) -> list[str]:
        root, reason = modelpaths.mt_dir(self.source, self.target)
        if root is None:
            raise EngineUnavailable(reason)
        translator, sp_src, sp_tgt, options = model_cache.get(f"mt:{root}", lambda: self._load(root))
        src_prefix, tgt_prefix = list(options.get("source_prefix", [])), list(options.get("target_prefix", []))
        batch = [src_prefix + sp_src.encode(line.text, out_type=str) + ["</s>"] for line in lines]
        try:
            results = translator.translate_batch(
                batch, beam_size=self.beam_size, target_prefix=[tgt_prefix] * len(batch) if tgt_prefix else None,
                # a runaway decode (a bad model or input) stops at a few times the source length
                max_decoding_length=min(256, 3 * max(len(b) for b in batch) + 16))
        except (RuntimeError, ValueError) as exc:
            raise EngineFailed(f"CTranslate2 failed: {exc}") from exc
        return [sp_tgt.decode(r.hypotheses[0][len(tgt_prefix):]) for r in results]


class WhisperTranslateEngine:
    """Whisper's own speech translation (any language → English) on each line's audio span."""

    name = "whisper-translate"
    PREFERRED = ("large-v3", "large-v2", "medium", "small", "base")

    def __init__(self, source: str, target: str, model: str | None = None):
        self.source, self.target, self.model = source, target, model

    def _model_name(self) -> str | None:
        for name in ([self.model] if self.model else self.PREFERRED):
            if modelpaths.whisper_model(name)[0] is not None and not name.endswith(".en"):
                return name
        return None

    def availability(self) -> tuple[bool, str]:
        if self.target != "en":
            return False, f"whisper only translates into English, not {self.target}"
        if self.source == "en":
            return False, "source is already English"
        from .asr import whisper_languages

        if self.source not in whisper_languages():
            return False, f"whisper does not know language {self.source!r}"
        name = self._model_name()
        if name is None:
            return False, "no multilingual whisper model in MODELS_DIR/whisper (run install-bundled for base)"
        return True, f"whisper {name} translate"

    def translate(self, lines: Sequence[SourceLine], audio=None) -> list[str]:
        from .asr import transcribe

        if audio is None or any(line.start is None or line.end is None for line in lines):
            raise EngineFailed("whisper translate needs the audio and each line's start/end")
        name = self._model_name()
        if name is None:
            raise EngineUnavailable("no multilingual whisper model")
        out = []
        for line in lines:
            result = transcribe(audio, model=name, language=self.source, task="translate",
                                clip=(line.start, line.end), vad_filter=False)
            out.append(result.text)
        return out


def registry(source: str, target: str) -> Registry:
    return Registry("translation", [IdentityEngine(source, target), CTranslate2Engine(source, target),
                                    WhisperTranslateEngine(source, target)])


def translate(lines: Sequence[SourceLine | str], *, source: str, target: str, audio: str | Path | None = None,
              glossary: Glossary | None = None, engine: str | None = None) -> Translation:
    """Translate lines from `source` to `target` language (ISO 639-1 codes)."""
    source, target = check_code(source), check_code(target)
    items = [SourceLine(x) if isinstance(x, str) else x for x in lines]
    if not items:
        return Translation([], "none", ["no lines"])
    try:
        texts, selection = registry(source, target).run(lambda e: e.translate(items, audio),
                                                      [engine] if engine else None)
    except (EngineFailed, EngineUnavailable) as exc:
        kept = [TranslatedLine(x.text, x.text, "none", [NEEDS_TRANSLATION]) for x in items]
        return Translation(kept, "none", [f"{source}->{target}: {exc}"])
    out = []
    for item, text in zip(items, texts):
        text = text.strip()
        flags: list[str] = []
        if glossary is not None:
            text, flags = glossary.apply(item.text, text)
        if not text and item.text.strip():
            text, flags = item.text, [NEEDS_TRANSLATION, "empty_translation", *flags]
        out.append(TranslatedLine(item.text, text, selection.name, flags))
    return Translation(out, selection.name, [selection.describe()])
