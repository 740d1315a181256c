"""Redaction of personal data and secrets: what is replaced, what is kept, and in linear time."""

from __future__ import annotations

import time

import pytest

from assistant.redaction import redact


@pytest.mark.parametrize("text, expected", [
    ("mail bob.smith+sso@acme.co.uk now", "mail [email] now"),
    ("call +1 (415) 555-0134 or 030 1234567.", "call [phone] or [phone]."),
    ("token dckr_pat_2b3c4d5e6f7g8h9i and ghp_abcdefghijklmnop1234", "token [token] and [token]"),
    ("Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345", "Authorization: [token]"),
    ("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2Q", "jwt [token]"),
])
def test_redact_removes_emails_phones_and_tokens(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", ["v4.28.0", "on 2024-01-31.", "exit code 137", "port 8080", "ip 192.168.100.200"])
def test_redact_keeps_versions_dates_and_numbers(text):
    assert redact(text) == text


_GOOGLE_KEY = "AIza" + "SyA1234567890abcdefghijklmnopqrstuv"  # 35 characters after AIza
_PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA+/=\nProc-Type: 4,ENCRYPTED\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize("text, expected", [
    ("from josé@example.com", "from [email]"),
    ("to ana@exämple.com.", "to [email]."),
    ("ana@例え.jp wrote", "[email] wrote"),
    ("ana＠example.com", "[email]"),
    ("mail ana@localhost.", "mail [email]."),
    ("mail ana@[10.0.0.1] now", "mail [email] now"),
    ("keys sk_live_4eC39HqLyjWDarjtT1zdp7dc rk_live_abcdefgh12345678 pk_live_abcdefgh12345678",
     "keys [token] [token] [token]"),
    (f"key={_GOOGLE_KEY}", "key=[token]"),
    ("HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz01234567", "HF_TOKEN=[token]"),
    ("//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", "//registry.npmjs.org/:_authToken=[token]"),
    ("twine upload -p pypi-AgEIcHlwaS5vcmcCJDEyMzQ1Njc4", "twine upload -p [token]"),
    ("my pat dckr_pat_abcd and dckr_oat_wxyz1", "my pat [token] and [token]"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic [token]"),
    (f"key:\n{_PEM}\nthanks", "key:\n[token]\nthanks"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA", "[token]"),
    ("docker login -u bob -p S3cret registry.example.com", "docker login -u bob -p [token] registry.example.com"),
    ("docker login --password S3cret", "docker login --password [token]"),
    ("run it with --password=S3cret.", "run it with --password=[token]."),
    ("password: S3cret", "password: [token]"),
    ("DOCKER_PASSWORD=S3cret", "DOCKER_PASSWORD=[token]"),
    ('{"password": "S3cret"}', '{"password": [token]}'),
])
def test_redact_removes_unicode_emails_api_keys_and_passwords(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", [
    "I forgot my password, how do I reset it?", "password: what now?", "docker login --password-stdin",
    "echo $PW | docker login -u bob --password-stdin", "password=$DOCKER_PASSWORD", "docker run -p 8080:80 nginx",
    "npm i pkg@1.2.3", "FROM ubuntu@sha256:abcd1234", "uses: actions/checkout@v4.1.1", "pip install hf_transfer",
    "npm_config_registry is set", "Basic authentication fails", "a 34-char AIzaSyA1234567890abcdefghijklmnopqrstu",
])
def test_redact_keeps_prose_placeholders_ports_and_package_pins(text):
    assert redact(text) == text


@pytest.mark.parametrize("text", [
    "-----BEGIN " * 50000, "-----BEGIN RSA PRIVATE KEY-----\n" * 30000, "password: " * 50000, "--password " * 50000,
    "login -p " * 50000, "Authorization: Basic " * 30000, "é@" * 100000, "a.a@" * 50000, "\uff20a" * 100000,
    "\n" * 200_000, " \n" * 100_000, "a" * 200_000, "a." * 100_000, "1 " * 100_000,
])
def test_redact_stays_linear_on_pathological_input(text):
    # A guard against catastrophic backtracking, not a speed claim.
    start = time.perf_counter()
    redact(text)
    assert time.perf_counter() - start < 5
