"""Series refs: store, read and rotate characters' encrypted reference clips.

Pass 2 clones from the job's own ref first, then from the character's series ref (this
module), then falls back. Refs are kept only when the series has voice memory on and is not
in privacy mode, and only encrypted (see voices/crypto.py).
"""
from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from dubsite import audit
from dubsite.storage import delete_after_commit
from dubsite.errors import Conflict, Invalid
from dubsite.roles import require
from media import ffmpeg
from media.audio import load
from media.errors import MediaError
from series.models import Character
from series.uploads import check_upload

from . import crypto
from .models import VoiceRef

__all__ = ["REF_RATE", "REF_SECONDS", "RefsOff", "refs_allowed", "voice_ref_store", "voice_ref_upload",
           "voice_ref_latest", "voice_ref_read", "voice_refs_rotate", "voice_refs_delete", "voice_data_forget",
           "delete_ref_blob"]

REF_RATE = 22050  # what the cloning engine reads; voice matching resamples to 16 kHz itself
REF_SECONDS = (1.0, 60.0)
MAX_REF_UPLOAD = 64 * 2**20


class RefsOff(Conflict):
    """This series (or this server) keeps no voice data."""


def refs_allowed(series) -> tuple[bool, str]:
    if series.privacy_mode:
        return False, f"series {series.slug} is in privacy mode: no voice data is kept"
    if not series.voice_memory:
        return False, f"series {series.slug} has voice memory off"
    return crypto.available()


def voice_ref_store(*, actor, character: Character, wav: str | Path, source: str, job_id: int | None = None,
                    context=None) -> VoiceRef:
    """Encrypt a WAV and keep it as the character's newest series ref. Actor None = the pipeline."""
    if actor is not None:
        require(actor, "voices.add_voiceref", character)
    ok, why = refs_allowed(character.series)
    if not ok:
        raise RefsOff(why)
    audio = load(wav, mono=True)
    seconds = len(audio.samples) / float(audio.sample_rate)
    if not REF_SECONDS[0] <= seconds <= REF_SECONDS[1]:
        raise Invalid(f"a reference must last {REF_SECONDS[0]:.0f}–{REF_SECONDS[1]:.0f} s, this one {seconds:.1f} s",
                      fields={"file": "bad duration"})
    data = Path(wav).read_bytes()
    name = f"voices/{character.series.slug}/{character.code}/{uuid.uuid4().hex}.wav.fernet"
    token = crypto.encrypt(data)
    stored = default_storage.save(name, ContentFile(token))
    try:
        with transaction.atomic():
            ref = VoiceRef.objects.create(character=character, blob=stored, blob_bytes=len(token),
                                          seconds=round(seconds, 3),
                                          sample_rate=audio.sample_rate, sha256=hashlib.sha256(data).hexdigest(),
                                          source=source, source_job_id=job_id,
                                          created_by=actor if getattr(actor, "pk", None) else None)
            audit.record(actor, "voice_ref.store", character, context=context,
                         new={"ref": ref.pk, "seconds": ref.seconds, "source": source, "job": job_id})
    except BaseException:
        default_storage.delete(stored)  # no orphan blob when the row did not commit
        raise
    return ref


def voice_ref_upload(*, actor, character: Character, upload, context=None) -> VoiceRef:
    """An editor's clip (any audio/video format) → 22.05 kHz mono WAV → encrypted series ref."""
    require(actor, "voices.add_voiceref", character)
    ok, why = refs_allowed(character.series)
    if not ok:
        raise RefsOff(why)
    checked = check_upload(upload, limit=MAX_REF_UPLOAD)
    with tempfile.TemporaryDirectory(prefix="dubsite-ref-") as tmp:
        src = Path(tmp) / f"upload{Path(checked.name).suffix}"
        with open(src, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            wav = ffmpeg.extract_audio(src, Path(tmp) / "ref.wav", sample_rate=REF_RATE, channels=1)
        except MediaError as exc:
            raise Invalid(f"{checked.name}: {str(exc).split(': ', 1)[-1]}", fields={"file": "unreadable audio"}) from exc
        return voice_ref_store(actor=actor, character=character, wav=wav, source=VoiceRef.Source.UPLOAD,
                               context=context)


def voice_ref_latest(character: Character) -> VoiceRef | None:
    """The newest ref of the character (of the one it was merged into, when it is an alias)."""
    return VoiceRef.objects.filter(character=character.canonical()).first()


def voice_ref_read(ref: VoiceRef) -> bytes:
    """The plaintext WAV bytes. Raises crypto.EncryptionUnavailable / crypto.InvalidToken."""
    with default_storage.open(ref.blob, "rb") as fh:
        return crypto.decrypt(fh.read())


def voice_refs_rotate(*, actor=None, context=None) -> int:
    """Re-encrypt every series ref with the newest key, so older keys can be retired."""
    if actor is not None:
        require(actor, "voices.change_voiceref")
    count = 0
    for ref in VoiceRef.objects.order_by("pk").iterator():
        with default_storage.open(ref.blob, "rb") as fh:
            token = crypto.rotate(fh.read())
        # new blob first, then the row, then the old blob: a crash at any point loses nothing
        fresh = default_storage.save(f"{ref.blob.rsplit('/', 1)[0]}/{uuid.uuid4().hex}.wav.fernet", ContentFile(token))
        VoiceRef.objects.filter(pk=ref.pk).update(blob=fresh, blob_bytes=len(token))
        default_storage.delete(ref.blob)
        count += 1
    with transaction.atomic():
        audit.record(actor, "voice_ref.rotate_keys", None, target_type="voices.VoiceRef", new={"refs": count},
                     context=context)
    return count


def voice_refs_delete(*, series, actor=None, context=None) -> int:
    """Drop a series' refs (privacy mode switched on, or the series deleted): rows, and their blobs
    after the commit (`delete_ref_blob`, which every delete of a ref row goes through)."""
    refs = list(VoiceRef.objects.filter(character__series=series).values_list("pk", flat=True))
    if not refs:
        return 0
    with transaction.atomic():
        VoiceRef.objects.filter(pk__in=refs).delete()
        audit.record(actor, "voice_ref.delete_all", series, new={"refs": len(refs)}, context=context)
    return len(refs)


def voice_data_forget(series, actor=None, context=None) -> None:
    """series.hooks forgetter (privacy mode switched on, series deleted): refs and their blobs,
    and every embedding of the series' characters, in the caller's transaction."""
    from .models import CharacterEmbedding, EmbeddingSnapshot

    voice_refs_delete(series=series, actor=actor, context=context)
    snaps, _ = EmbeddingSnapshot.objects.filter(character__series=series).delete()
    means, _ = CharacterEmbedding.objects.filter(character__series=series).delete()
    if snaps or means:
        audit.record(actor, "voice_embeddings.delete_all", series, new={"snapshots": snaps, "means": means},
                     context=context)


def delete_ref_blob(sender, instance: VoiceRef, **kwargs) -> None:
    """post_delete of a VoiceRef (registered in VoicesConfig.ready): the blob goes after the commit."""
    delete_after_commit([instance.blob])
