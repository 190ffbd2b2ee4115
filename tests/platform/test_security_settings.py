"""Production settings (DEBUG=0) are HTTPS-safe by default and switchable for plain-HTTP installs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT", "SECURE_REFERRER_POLICY",
         "SECURE_CROSS_ORIGIN_OPENER_POLICY", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS", "SECURE_PROXY_SSL_HEADER"]
STRONG_KEY = "k" * 20 + "-Q2v9zR7pL3xW8mN5bT1cY6hJ4fD0sA"


def production_settings(tmp_path, **env) -> dict:
    """dubsite.settings as a fresh process sees it with this environment (no test settings in between)."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DUBSITE_", "DJANGO_")) and k not in {"DEBUG"}}
    clean.update({"DUBSITE_VAR_DIR": str(tmp_path), "DUBSITE_SECRET_KEY": STRONG_KEY, **env})
    code = ("import json, django; from django.conf import settings; django.setup(); "
            f"print(json.dumps({{n: getattr(settings, n, None) for n in {NAMES!r}}}))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**clean, "DJANGO_SETTINGS_MODULE": "dubsite.settings"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_production_defaults_are_https_safe(tmp_path):
    s = production_settings(tmp_path)
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600 and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert s["SECURE_HSTS_PRELOAD"] is False  # an opt-in promise
    assert s["SECURE_REFERRER_POLICY"] == "same-origin"
    assert s["SECURE_CROSS_ORIGIN_OPENER_POLICY"] == "same-origin"
    assert s["SECURE_CONTENT_TYPE_NOSNIFF"] is True and s["X_FRAME_OPTIONS"] == "DENY"
    assert s["SECURE_PROXY_SSL_HEADER"] is None  # trusting X-Forwarded-Proto is opt-in
    assert s["SECURE_SSL_REDIRECT"] is False


def test_a_plain_http_install_can_switch_secure_cookies_and_hsts_off(tmp_path):
    s = production_settings(tmp_path, DUBSITE_SECURE_COOKIES="0", DUBSITE_HSTS_SECONDS="0")
    assert s["SESSION_COOKIE_SECURE"] is False and s["CSRF_COOKIE_SECURE"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0


def test_behind_a_tls_proxy(tmp_path):
    s = production_settings(tmp_path, DUBSITE_PROXY_SSL_HEADER="1", DUBSITE_SSL_REDIRECT="1",
                            DUBSITE_HSTS_PRELOAD="1", DUBSITE_HSTS_SECONDS="600")
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["SECURE_SSL_REDIRECT"] is True and s["SECURE_HSTS_PRELOAD"] is True and s["SECURE_HSTS_SECONDS"] == 600


def test_debug_keeps_plain_http_working(tmp_path):
    s = production_settings(tmp_path, DEBUG="1")
    assert s["SESSION_COOKIE_SECURE"] is False and s["CSRF_COOKIE_SECURE"] is False and s["SECURE_HSTS_SECONDS"] == 0


def test_check_deploy_warns_only_about_the_two_deliberate_opt_ins(tmp_path):
    """`manage.py check --deploy` with DEBUG=0 and the defaults: only W008 (the TLS proxy redirects
    http→https, or set DUBSITE_SSL_REDIRECT=1) and W021 (HSTS preload is a promise to opt in to)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DUBSITE_", "DJANGO_")) and k != "DEBUG"}
    proc = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300,
                          env={**clean, "DUBSITE_VAR_DIR": str(tmp_path), "DUBSITE_SECRET_KEY": STRONG_KEY,
                               "DJANGO_SETTINGS_MODULE": "dubsite.settings"})
    out = proc.stdout + proc.stderr
    found = sorted(set(word.strip("():") for word in out.split() if word.startswith("(security.")))
    assert found == ["security.W008", "security.W021"], out


@pytest.mark.django_db
def test_secure_responses_carry_hsts_and_the_policies(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
