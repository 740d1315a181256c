"""Redaction of personal data and secrets in free text (tickets, queries, feedback).

:func:`redact` is applied to every ticket the moment it is read (coverage), to every query and
ticket stored as feedback, and to the FAQ questions listed in coverage's overlap report, so no
email address, phone number or secret reaches an output.
"""

from __future__ import annotations

import re

__all__ = ["redact"]

# Access tokens: iEchor/Docker-style PATs, GitHub, GitLab, Slack, Stripe, Google, Hugging Face, npm,
# PyPI, AWS keys, JWTs, bearer tokens. Every pattern starts at a fixed prefix, so runs stay linear.
_TOKEN_RE = re.compile(
    r"\b(?:ghp_|gho_|ghs_|ghu_|github_pat_|glpat-|xox[abpr]-|sk-|pat_)[A-Za-z0-9_\-]{8,}"
    r"|\bdckr_[po]at_[A-Za-z0-9_\-]{4,}"
    r"|\b[srp]k_(?:live|test)_[A-Za-z0-9]{8,}"
    r"|\bAIza[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])"
    r"|\b(?:hf|npm)_[A-Za-z0-9]{30,}"
    r"|(?<![\w\-])pypi-[A-Za-z0-9_\-]{16,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
    r"|(?i:\bbearer\s+)[A-Za-z0-9._\-]{16,}"
)
# A PEM private key block; the body never contains "-----", so each BEGIN scans only to the next
# dashes (a truncated block is redacted to the end of the text).
_PEM_RE = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[^-]|-(?!----))*(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)"
)
# A secret after its key: "Authorization: Basic <base64>", "--password S3cret", "--password=S3cret",
# "password: S3cret", "DOCKER_PASSWORD=S3cret", '"password": "S3cret"'. The key is kept.
_KEYED_SECRET_RE = re.compile(
    r"(?P<key>(?i:(?<![A-Za-z0-9])authorization:[ \t]*basic[ \t]+"
    r"|(?<![\w\-])--password(?:=|[ \t]+(?!-))"
    r"|(?<![A-Za-z])pass(?:word|wd)[\"']?[ \t]*[:=][ \t]*))"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']\S*)"
)
# "-p S3cret", redacted only after "login" on the same line ("docker run -p 8080:80" is a port).
_DASH_P_RE = re.compile(r"(?<![\w\-])-p[ \t]+(?P<value>[^\s\"'\-]\S*)")
_LOGIN_RE = re.compile(r"\blogin\b", re.I)
# Patterns start only where a run of their characters starts, so long runs stay linear. Local part
# and domain may be non-ASCII (\w is Unicode); "@" may be full-width; the domain is a dotted name
# ending in letters, "localhost" or an address literal ("[10.0.0.1]"). "pkg@1.2.3" and
# "image@sha256:..." are not emails.
_EMAIL_RE = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]+[@\uff20]"
    r"(?:[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}|localhost(?![\w\-])|\[[0-9A-Fa-f.:]+\])"
)
_PHONE_RE = re.compile(r"(?<![\w/.-])\+?\(?(?:\d[\s().\-]{0,2}){7,14}\d(?![\w/-]|\.\w)")


def redact(text: str) -> str:
    """Replace secrets, email addresses and phone numbers with ``[token]``, ``[email]``, ``[phone]``.

    ``[token]`` stands for any secret: access tokens and API keys (Docker ``dckr_pat_``/``dckr_oat_``,
    GitHub, GitLab, Slack, Stripe ``sk_live_``/``rk_live_``/``pk_live_``, Google ``AIza``, Hugging
    Face ``hf_``, npm ``npm_``, PyPI ``pypi-``, AWS, JWTs, ``Bearer`` tokens), ``Authorization:
    Basic`` credentials, PEM private key blocks, and passwords given as values (``--password
    S3cret``, ``--password=S3cret``, ``password: S3cret``, ``password=S3cret``, ``docker login -p
    S3cret``); the key (``password:``, ``Authorization: Basic``) is kept. After ``password:`` and a
    space, a value of plain letters (``password: what now?``) is taken for prose and kept, as are
    placeholders (``$PASSWORD``, ``<password>``); the word "password" alone is kept.

    Secrets are replaced first so a token that contains an ``@`` or digits is never half-kept.
    Dates, IPv4 addresses and version numbers (``2024-01-31``, ``4.28.0``) are not phone numbers.
    Every pattern runs in linear time.
    """
    text = _PEM_RE.sub("[token]", text)
    text = _TOKEN_RE.sub("[token]", text)
    text = _KEYED_SECRET_RE.sub(_keyed_secret, text)
    text = _DASH_P_RE.sub(_login_password, text)
    text = _EMAIL_RE.sub("[email]", text)
    return _PHONE_RE.sub(lambda m: "[phone]" if _looks_like_phone(m.group(0)) else m.group(0), text)


_TRAILING_PUNCT = ".,;:!?)]}"


def _replace_value(m: re.Match[str], prefix: str) -> str:
    value = m.group("value")
    stripped = value.rstrip(_TRAILING_PUNCT)
    if not stripped or stripped[0] in "$<":  # "password: ." or a placeholder
        return m.group(0)
    return f"{prefix}[token]{value[len(stripped):]}"


def _keyed_secret(m: re.Match[str]) -> str:
    key, value = m.group("key"), m.group("value").rstrip(_TRAILING_PUNCT)
    if key.rstrip().endswith(":") and key != key.rstrip() and value.isalpha() and value[1:].islower():
        return m.group(0)  # "password: what ..." is prose
    return _replace_value(m, key)


def _login_password(m: re.Match[str]) -> str:
    s, start = m.string, m.start()
    window = s[max(0, start - 300):start]
    if not _LOGIN_RE.search(window[window.rfind("\n") + 1:]):
        return m.group(0)
    return _replace_value(m, m.group(0)[: m.start("value") - start])


def _looks_like_phone(s: str) -> bool:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3}", s.strip()):  # a date, an IPv4 address
        return False
    return sum(c.isdigit() for c in s) >= 8
