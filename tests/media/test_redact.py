"""Server paths are taken out of what users read: known roots named, other paths shortened."""
from media.redact import redact

ROOTS = {"MODELS_DIR": "/srv/dub/var/models", "WORK_DIR": "/srv/dub/var/work", "APP": "/srv/dub"}


def test_known_roots_become_names_and_the_longest_root_wins():
    assert redact("no demucs weights (*.th) in /srv/dub/var/models/demucs; fallback", ROOTS) == \
        "no demucs weights (*.th) in $MODELS_DIR/demucs; fallback"
    assert redact("/srv/dub/var/work/job_3/audio.wav", ROOTS) == "$WORK_DIR/job_3/audio.wav"
    assert redact("at /srv/dub/jobs/stages/tts.py:12", ROOTS) == "at $APP/jobs/stages/tts.py:12"
    assert redact("/srv/dubbing/x/y.txt", ROOTS) == "…/x/y.txt"  # a sibling folder is not the root


def test_other_absolute_paths_keep_a_short_tail_and_the_rest_is_untouched():
    line = 'File "/usr/lib/python3/site-packages/faster_whisper/transcribe.py", line 9'
    assert redact(line, ROOTS) == 'File "…/faster_whisper/transcribe.py", line 9'
    for text in ("dialogue = full mix", "pass1/dub.mkv", "1/2 of a/b/c", "see http://example.com/a/b/c", ""):
        assert redact(text, ROOTS) == text


def test_nested_values():
    data = {"notes": ["in /srv/dub/var/models/x", 3, None], "pair": ("/srv/dub/var/work/a",)}
    assert redact(data, ROOTS) == {"notes": ["in $MODELS_DIR/x", 3, None], "pair": ("$WORK_DIR/a",)}
