"""Test settings: the real settings module with a throwaway var dir and a fast hasher.

SQLite test databases are files (not in-memory) so that a real `qcluster` subprocess can
share them; on PostgreSQL the test database is the usual `test_<name>`.
"""
import os
import tempfile
from pathlib import Path

_VAR = Path(os.environ.get("DUBSITE_TEST_VAR_DIR") or tempfile.mkdtemp(prefix="dubsite-test-"))
os.environ["DUBSITE_TEST_VAR_DIR"] = str(_VAR)  # subprocesses (qcluster) inherit the same folders
os.environ.setdefault("DUBSITE_SECRET_KEY", "test-only-secret-key-not-for-production")
# a fixed, test-only Fernet key: series refs are stored encrypted, and only when a key is set
os.environ.setdefault("DUBSITE_ENCRYPTION_KEYS", "uV_0ntK5iA7w9dPgDRX0hsHA7-4ns2dOK0H3aWpJruc=")
os.environ.setdefault("DUBSITE_VAR_DIR", str(_VAR))
os.environ.setdefault("DUBSITE_MEDIA_ROOT", str(_VAR / "media"))
os.environ.setdefault("DUBSITE_WORK_DIR", str(_VAR / "work"))
# tests that import the WSGI entry point do not need the preview voice warmed in a thread
os.environ.setdefault("DUBSITE_WARM_TTS", "0")
# the weights `scripts/setup.sh` installed (install-bundled) are what tests of real engines use
os.environ.setdefault("MODELS_DIR", str(Path(__file__).resolve().parent.parent / "var" / "models"))

from dubsite.settings import *  # noqa: E402,F401,F403
from dubsite.settings import DATABASES, INSTALLED_APPS  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DUBSITE_TEST_SQLITE", str(_VAR / "test.sqlite3"))}

# Heartbeats come from a second thread with its own connection: in tests that hold the data in
# one transaction it would only wait on locks. The qcluster tests turn it back on for the worker.
DUBSITE_HEARTBEAT_SECONDS = float(os.environ.get("DUBSITE_TEST_HEARTBEAT_SECONDS", "0"))

# A worker started by a test can be told to park in one stage (see tests/holdstage).
if os.environ.get("DUBSITE_TEST_HOLD_STAGE"):
    INSTALLED_APPS = [*INSTALLED_APPS, "tests.holdstage"]
