"""Redaction of personal data and secrets in free text (tickets, queries, feedback, eval output).

:func:`redact` is the one entry point. It is applied to every ticket the moment it is read
(coverage: text, JSON, HTML, gap samples), to every query and ticket stored as feedback, to the
queries ``faq-assistant eval`` prints, and to the FAQ questions listed in coverage's overlap
report, so none of the kinds below reaches an output.

Where the patterns come from:

* **secrets with a known format** (AWS key ids, Azure storage keys, credentials in URLs, Slack
  tokens and webhooks, GitHub, GitLab, Stripe, SendGrid, Twilio, Telegram, Discord, Mailchimp,
  OpenAI, PyPI tokens, JWTs, public IPv4 addresses): the regular expressions of Yelp's
  `detect-secrets <https://github.com/Yelp/detect-secrets>`_ plugins, used as they ship;
* **check digits**: card numbers must pass the Luhn check and IBANs the ISO 13616 mod-97 check
  (`python-stdnum <https://arthurdejong.org/python-stdnum/>`_), so order and ticket numbers stay;
* **the rest** (secrets after a key such as ``password:``/``pwd=``/``api_key=``, passwords in
  prose, Docker PATs, PEM private keys, CVVs, expiry dates, PINs, dates of birth, street
  addresses, IPv6, plain and obfuscated email addresses, phone numbers, long high-entropy strings
  such as AWS secret keys): this module's own patterns; detect-secrets' keyword and entropy
  plugins are written for source code and flag every word of a sentence.

``tests/fixtures/redaction-samples.csv`` holds the measured sample table (every kind in real
sentences, plus near misses that must stay); ``python bench/redaction.py`` prints the misses and
false redactions of this module and of detect-secrets alone.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from typing import Callable

__all__ = ["redact", "LABELS"]

#: What each kind of redacted text is replaced with.
LABELS = {
    "secret": "[token]", "email": "[email]", "phone": "[phone]", "card": "[card]", "cvv": "[cvv]",
    "expiry": "[expiry]", "iban": "[iban]", "pin": "[pin]", "ip": "[ip]", "address": "[address]",
    "birth_date": "[birth date]",
}
_TOKEN = LABELS["secret"]

# --- secrets ----------------------------------------------------------------------------------

# Access tokens with a fixed prefix not (or not fully) covered by detect-secrets: Docker PATs, short
# GitHub/GitLab tokens, Stripe test keys, Google, Hugging Face, npm, PyPI, bearer tokens.
_TOKEN_RE = re.compile(
    r"\b(?:ghp_|gho_|ghs_|ghu_|github_pat_|glpat-|xox[abpr]-|sk-|pat_)[A-Za-z0-9_\-]{8,}"
    r"|\bdckr_[po]at_[A-Za-z0-9_\-]{4,}"
    r"|\b[srp]k_(?:live|test)_[A-Za-z0-9]{8,}"
    r"|\bAIza[A-Za-z0-9_\-]{35}(?![A-Za-z0-9_\-])"
    r"|\b(?:hf|npm)_[A-Za-z0-9]{30,}"
    r"|(?<![\w\-])pypi-[A-Za-z0-9_\-]{16,}"
    r"|\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"
    r"|(?i:\bbearer\s+)[A-Za-z0-9._\-]{16,}"
)
# Lower-case words one of which a text needs for _TOKEN_RE to match.
_TOKEN_PREFIXES = ("ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "glpat-", "xox", "sk-", "pat_", "dckr_", "k_live_",
                   "k_test_", "aiza", "hf_", "npm_", "pypi-", "eyj", "bearer")
# A PEM private key block; the body never contains "-----", so each BEGIN scans only to the next
# dashes (a truncated block is redacted to the end of the text).
_PEM_RE = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[^-]|-(?!----))*"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)"
)
# Credentials in a URL: scheme://user:password@host (any scheme: postgres, mysql, mongodb+srv, https).
_URL_CREDENTIALS_RE = re.compile(r"(?<=://)(?P<user>[^\s:/?#@\[\]]*):(?P<value>[^\s/?#@]+)@")
# A secret after its key: "Authorization: Basic <base64>", "--password S3cret", "--password=S3cret",
# "password: S3cret", "pwd=S3cret", "pass: S3cret", "DOCKER_PASSWORD=S3cret", '"password": "S3cret"',
# "api_key=...", "X-API-Key: ...", "client_secret=...", "AccountKey=...", "sig=..." (SAS URLs),
# "aws_secret_access_key = ...". The key is kept.
_SECRET_KEY = (r"pass(?:word|wd|phrase|code)?|pwd|secret|client[_\- ]?secret|secret[_\- ]?(?:access[_\- ]?)?key"
               r"|api[_\- ]?key|access[_\- ]?key|auth[_\- ]?token|access[_\- ]?token|account[_\- ]?key"
               r"|shared[_\- ]?access[_\- ]?key|sig|token")
_KEYED_SECRET_RE = re.compile(
    r"(?P<key>(?i:(?<![A-Za-z0-9])authorization:[ \t]*basic[ \t]+"
    r"|(?<![\w\-])--password(?:=|[ \t]+(?!-))"
    r"|(?<![A-Za-z])(?:" + _SECRET_KEY + r")[\"']?[ \t]*(?::=|=>|[:=])[ \t]*))"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"';&]+)"
)
# "my password is hunter2", "the password was 'x'", "our passphrase is ...".
_PROSE_PASSWORD_RE = re.compile(
    r"(?P<key>(?i:(?<![A-Za-z])(?:password|passwd|passphrase|passcode)[ \t]+(?:is|was|would be|will be)[ \t]+))"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s\"']+)"
)
# "-p S3cret", redacted only after "login" on the same line ("docker run -p 8080:80" is a port).
_DASH_P_RE = re.compile(r"(?<![\w\-])-p[ \t]+(?P<value>[^\s\"'\-]\S*)")
_LOGIN_RE = re.compile(r"\blogin\b", re.I)
# Long strings of key characters (AWS secret access keys, API keys): 32+ characters mixing upper
# case, lower case and digits with high entropy. Git SHAs and digests (lower-case hex) stay.
_HIGH_ENTROPY_RE = re.compile(r"(?<![\w/+=%\-])[A-Za-z0-9/+=_\-]{32,}(?![\w/+=%\-])")

# Words that, right after "password is" or "password:", are prose ("my password is incorrect").
_PROSE_WORDS = frozenset("""
a an the my our your their his her its this that these those same different new old other
what how why when where which who not no none nothing never always still already also just only too very
is are was were be been being has have had do does did can cannot could should would will must may might
wrong incorrect invalid expired required correct right valid missing empty blank long longer short shorter
weak strong rejected accepted working broken fine ok okay set saved stored lost forgotten unknown locked
hidden visible shown sent reset changed updated case sensitive managed handled synced synchronized
here there below above attached in on at for from with without now via by to of and or but if then
enough mandatory optional disabled enabled needed asked requested generated random temporary
""".split())

# --- cards, bank accounts, PINs ---------------------------------------------------------------

# 13-19 digits, spaces or dashes between them; kept unless the Luhn check and a card prefix fit.
_CARD_RE = re.compile(r"(?<![\w\-.])\d(?:[ \-]?\d){12,18}(?![\w\-]|\.\d)")
_CARD_PREFIX_RE = re.compile(r"4|5[1-5]|2[2-7]|3[47]|3[0689]|6(?:011|5|4[4-9]|2)|35")
_CVV_RE = re.compile(r"(?P<key>(?i:\b(?:cvv2?|cvc2?|csc|card verification (?:code|value)|security code)\b"
                     r"[ \t]*(?:is[ \t]+|[:=#][ \t]*)?))(?P<value>\d{3,4})(?![\d\w])")
_EXPIRY_RE = re.compile(r"(?P<key>(?i:\b(?:exp|expiry|expiration|expires|valid thru|valid until)\b\.?"
                        r"(?:[ \t]+date)?[ \t]*(?:is[ \t]+|on[ \t]+|[:=][ \t]*)?))"
                        r"(?P<value>(?:0?[1-9]|1[0-2])[ \t]*/[ \t]*(?:\d{4}|\d{2}))(?![\d/])")
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_PIN_RE = re.compile(r"(?P<key>(?i:\bpin(?:[ \t\-]?code|[ \t]+number)?)[ \t]*(?i:is[ \t]+|was[ \t]+|[:=#][ \t]*)?)"
                     r"(?P<value>\d{4,8})(?![\d.,]\d|\w)")

# --- addresses, dates of birth, emails, phones, IPs ---------------------------------------------

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = (r"\d{1,2}[./\-]\d{1,2}[./\-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
         rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+\d{{4}}"
         rf"|{_MONTH}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}")
_BIRTH_DATE_RE = re.compile(
    r"(?P<key>(?i:\b(?:d\.?o\.?b\.?|date[ \t]+of[ \t]+birth|birth[ \t]?date|born(?:[ \t]+on)?|birthday)\b"
    r"[ \t]*(?:is[ \t]+|was[ \t]+|[:=\-][ \t]*)?(?:on[ \t]+)?))"
    rf"(?P<value>(?i:{_DATE}))(?!\d)"
)
_STREET_SUFFIX = (r"Street|St\.|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.|Court|Ct\.?"
                  r"|Way|Parkway|Pkwy\.?|Place|Pl\.|Square|Sq\.|Terrace|Close|Crescent|Highway|Hwy\.?")
_ADDRESS_RE = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?[ \t]+(?:[A-Z][a-z]+[ \t]+){{1,3}}(?:{_STREET_SUFFIX})(?![\w])"
    r"|\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|damm)[ \t]+\d{1,4}[a-z]?\b"
    r"|\b\d{1,4},?[ \t]+(?:rue|avenue|boulevard|chemin|calle|via)[ \t]+(?:d[eu']+[ \t]*)?[A-ZÀ-Ý][\w\-]+"
)
# Patterns start only where a run of their characters starts, so long runs stay linear. Local part
# and domain may be non-ASCII (\w is Unicode); "@" may be full-width; the domain is a dotted name
# ending in letters, "localhost" or an address literal ("[10.0.0.1]"). "pkg@1.2.3" and
# "image@sha256:..." are not emails.
_EMAIL_RE = re.compile(
    r"(?<![\w.%+\-])[\w.%+\-]+[@\uff20]"
    r"(?:[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}|localhost(?![\w\-])|\[[0-9A-Fa-f.:]+\])"
)
# "ana at acme dot com", "ben [at] example [dot] org", "carla(at)globex(dot)io".
_OBFUSCATED_EMAIL_RE = re.compile(
    r"(?i)(?<![\w.+\-])[\w.+\-]+[ \t]*(?:\[at\]|\(at\)|\{at\}|<at>)[ \t]*[\w\-]+"
    r"(?:[ \t]*(?:\[dot\]|\(dot\)|\{dot\}|<dot>|\.)[ \t]*[^\W\d_]{2,})+"
    r"|(?<![\w.+\-])[\w.+\-]+(?:[ \t]+dot[ \t]+[\w.+\-]+){0,2}[ \t]+at[ \t]+[\w\-]+(?:[ \t]+dot[ \t]+[\w\-]+)+"
)
_PHONE_RE = re.compile(r"(?<![\w/.-])\+?\(?(?:\d[\s().\-]{0,2}){7,14}\d(?![\w/-]|\.\w)")
# IPv6 with "::" or all eight groups (times like 10:30:45 are not addresses).
_IPV6_RE = re.compile(
    r"(?<![\w:])(?=[0-9A-Fa-f:]*::|(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4})"
    r"(?:[0-9A-Fa-f]{0,4}:){3,7}[0-9A-Fa-f]{1,4}(?![\w:])"
)


@functools.cache
def _detect_secrets_patterns() -> tuple[tuple[re.Pattern[str], bool, str, re.Pattern[str] | None], ...]:
    """(regex, replace group 1 only, label, words one of which it needs) from the detect-secrets plugins whose formats fit free text.

    Its keyword and entropy plugins are left out (they flag ordinary words of a sentence), and so
    are the npm plugin (its pattern runs to the end of the line) and the Artifactory one (it
    matches words such as ``APPLICATION1``); the first two kinds are handled by this module.
    """
    from detect_secrets.plugins import (aws, azure_storage_key, basic_auth, discord, github_token, gitlab_token,
                                        ip_public, jwt, mailchimp, openai, pypi_token, sendgrid, slack,
                                        square_oauth, stripe, telegram_token, twilio)

    # (patterns, replace group 1 only, label, lower-case words one of which a match contains; None: always run)
    plugins = [
        (aws.AWSKeyDetector.denylist[:1], False, _TOKEN, ("a3t", "abia", "acca", "akia", "asia")),  # the key id
        (azure_storage_key.AzureStorageKeyDetector.denylist, False, _TOKEN, ("accountkey=",)),
        (basic_auth.BasicAuthDetector.denylist, True, _TOKEN, ("://",)),
        (discord.DiscordBotTokenDetector.denylist, False, _TOKEN, None),
        (github_token.GitHubTokenDetector.denylist, False, _TOKEN, ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
        (gitlab_token.GitLabTokenDetector.denylist, False, _TOKEN, ("gl", "gr1348941")),
        (jwt.JwtTokenDetector.denylist, False, _TOKEN, ("eyj",)),
        (mailchimp.MailchimpDetector.denylist, False, _TOKEN, ("-us",)),
        (openai.OpenAIDetector.denylist, False, _TOKEN, ("t3blbkfj",)),
        (pypi_token.PypiTokenDetector.denylist, False, _TOKEN, ("pypi-",)),
        (sendgrid.SendGridDetector.denylist, False, _TOKEN, ("sg.",)),
        (slack.SlackDetector.denylist, False, _TOKEN, ("xox", "hooks.slack.com")),
        (square_oauth.SquareOAuthDetector.denylist, False, _TOKEN, ("sq0csp-",)),
        (stripe.StripeDetector.denylist, False, _TOKEN, ("k_live_",)),
        (telegram_token.TelegramBotTokenDetector.denylist, False, _TOKEN, (":",)),
        (twilio.TwilioKeyDetector.denylist, False, _TOKEN, ("ac", "sk")),
        (ip_public.IPPublicDetector.denylist, True, LABELS["ip"], _DIGIT_DOT_DIGIT_RE),
    ]
    return tuple((rx, group, label, needs if needs is None or isinstance(needs, re.Pattern) else _needs(needs))
                 for patterns, group, label, needs in plugins for rx in patterns)


@functools.cache
def _rare_needs() -> tuple[frozenset[re.Pattern[str]], re.Pattern[str]]:
    """The plugins' word checks that most tickets fail, and one regex finding a word of any of them.

    A ticket with none of those words skips their checks; the others (``:``, ``ac``, ``gl``, ...)
    are checked one by one.
    """
    common = (":", "://", "ac", "sk", "gl", "-us")
    rare = {n for *_, n in _detect_secrets_patterns()
            if n is not None and n is not _DIGIT_DOT_DIGIT_RE and not any(n.search(w) for w in common)}
    return frozenset(rare), re.compile("|".join(f"(?:{n.pattern})" for n in sorted(rare, key=lambda n: n.pattern)))


@functools.lru_cache(maxsize=None)
def _needs(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex finding any of ``words`` (a C-speed check that a pattern can match at all)."""
    return re.compile("|".join(map(re.escape, words)))


_DIGIT_RE = re.compile(r"\d")
_DIGIT_DOT_DIGIT_RE = re.compile(r"[0-9]\.[0-9]")  # in every IPv4 address


def redact(text: str) -> str:
    """Replace personal data and secrets in ``text`` with a label per kind (:data:`LABELS`).

    ``[token]``: access tokens and API keys (Docker, GitHub, GitLab, Slack tokens and webhook URLs,
    Stripe, SendGrid, Google, Hugging Face, npm, PyPI, OpenAI, Twilio, Telegram, AWS key ids and
    secret keys, Azure storage keys and SAS signatures, JWTs, ``Bearer`` tokens), ``Authorization:
    Basic`` credentials, passwords in URLs (``postgres://user:[token]@host``), PEM private keys,
    and secrets given as values (``password: S3cret``, ``pwd=...``, ``pass: ...``, ``api_key=...``,
    ``client_secret=...``, ``docker login -p S3cret``) or in prose (``my password is hunter2``,
    ``the password is '...'``). The key (``password:``) is kept; a value that is an ordinary word
    (``my password is incorrect``, ``password: what now?``) or a placeholder (``$PASSWORD``,
    ``<password>``) is prose and kept.

    ``[card]`` Luhn-valid card numbers with a card prefix, ``[cvv]`` and ``[expiry]`` after their
    key (``CVV 123``, ``exp 04/27``), ``[iban]`` IBANs with valid check digits, ``[pin]`` after
    ``PIN``, ``[ip]`` public IPv4 (private ranges are kept) and IPv6 addresses, ``[address]``
    street addresses (``221B Baker Street``, ``Hauptstraße 5``), ``[birth date]`` after ``DOB``,
    ``born on``, ``date of birth``; ``[email]`` addresses, also obfuscated (``ana at acme dot
    com``, ``ben [at] example [dot] org``); ``[phone]`` numbers of 8 to 15 digits.

    Kept: order, ticket and invoice numbers (no card prefix or check digits), versions
    (``4.28.0``), dates that are not birth dates, private IPv4 addresses, Git SHAs and image
    digests, ports. Secrets are replaced first, so a token that contains an ``@`` or digits is
    never half-kept. Every pattern runs in linear time.

    Raises
    ------
    TypeError
        If ``text`` is not a ``str``.
    """
    if not isinstance(text, str):
        raise TypeError(f"redact() takes text (str), got {type(text).__name__}")
    low = text.lower()  # each pattern runs only when a word it needs occurs (most tickets hold none)

    def has(*words: str) -> bool:
        return _needs(words).search(low) is not None

    if "private key" in low or "putty-user-key" in low:
        text = _PEM_RE.sub(_TOKEN, text)
    if "://" in text:
        text = _URL_CREDENTIALS_RE.sub(lambda m: f"{m.group('user')}:{_TOKEN}@", text)
    if has(*_TOKEN_PREFIXES):
        text = _TOKEN_RE.sub(_TOKEN, text)  # first: detect-secrets' JWT pattern stops at the second dot
    rare, any_rare = _rare_needs()
    rare_found = any_rare.search(low) is not None
    last_needs, found = None, True
    for rx, group, label, needs in _detect_secrets_patterns():
        if needs is not last_needs:  # plugins with several patterns share one check
            last_needs = needs
            found = needs is None or ((rare_found or needs not in rare) and needs.search(low) is not None)
        if found:
            text = rx.sub(_replace_group(label) if group else label, text)
    if has("pass", "pwd", "secret", "key", "token", "sig", "authorization"):
        if "=" in text or ":" in text or "--password" in low:  # a keyed secret has one of them
            text = _KEYED_SECRET_RE.sub(_keyed_secret, text)
        text = _PROSE_PASSWORD_RE.sub(_keyed_secret, text)
    if "-p" in text:
        text = _DASH_P_RE.sub(_login_password, text)
    if max(map(len, text.split()), default=0) >= 32:  # 32 key characters run without a space
        text = _HIGH_ENTROPY_RE.sub(lambda m: _TOKEN if _looks_random(m.group(0)) else m.group(0), text)
    # Replacements hold no digit, so the count only falls: a card needs 13 digits, a phone number 8.
    n_digits = len(_DIGIT_RE.findall(text))
    digits = n_digits > 0
    if digits:
        if n_digits >= 13:
            text = _CARD_RE.sub(lambda m: LABELS["card"] if _is_card(m.group(0)) else m.group(0), text)
        if has("cvv", "cvc", "csc", "security code", "card verification"):
            text = _CVV_RE.sub(lambda m: m.group("key") + LABELS["cvv"], text)
        if has("exp", "valid"):
            text = _EXPIRY_RE.sub(lambda m: m.group("key") + LABELS["expiry"], text)
        text = _IBAN_RE.sub(_iban, text)
        if "pin" in low:
            text = _PIN_RE.sub(lambda m: m.group("key") + LABELS["pin"], text)
        if has("dob", "d.o.b", "birth", "born"):
            text = _BIRTH_DATE_RE.sub(lambda m: m.group("key") + LABELS["birth_date"], text)
    if "::" in text or text.count(":") >= 7:
        text = _IPV6_RE.sub(LABELS["ip"], text)
    if "@" in text or "\uff20" in text:  # an address is on the line of its "@"
        ats = [i for i in (text.find("@"), text.find("\uff20")) if i >= 0]
        span = _lines_span(text, min(ats), max(text.rfind("@"), text.rfind("\uff20")))
        text = _sub_within(_EMAIL_RE, LABELS["email"], text, *span)
    if has("at ", "at]", "at)", "at}", "at>") and has("[at]", "(at)", "{at}", "<at>", " dot", "\tdot"):
        text = _OBFUSCATED_EMAIL_RE.sub(LABELS["email"], text)
    if not digits:  # no address, no phone number
        return text
    first, last = _DIGIT_RE.search(text), _DIGIT_RE.search(text[::-1])
    if first is None:  # the digits were all redacted: no address, no phone number
        return text
    # Only the lines holding digits can hold a street address; a phone number starts at most 2
    # characters before a digit and ends on one (its lookahead reads 2 more).
    first, last = first.start(), len(text) - 1 - last.start()
    text = _sub_within(_ADDRESS_RE, LABELS["address"], text, *_lines_span(text, first, last))
    if n_digits < 8:
        return text
    first, last = _DIGIT_RE.search(text), _DIGIT_RE.search(text[::-1])
    if first is None:
        return text
    return _sub_within(_PHONE_RE, _phone, text, first.start() - 2, len(text) - last.start() + 2)


def _lines_span(text: str, first: int, last: int) -> tuple[int, int]:
    """From the start of the line holding ``text[first]`` to the end of the line holding ``text[last]``."""
    end = text.find("\n", last)
    return text.rfind("\n", 0, first) + 1, len(text) if end < 0 else end


def _sub_within(rx: re.Pattern[str], repl: str | Callable[[re.Match[str]], str], text: str, start: int,
                end: int) -> str:
    """``rx.sub(repl, text)`` for a pattern none of whose matches can lie outside ``text[start:end]``.

    Only that stretch is searched; lookbehinds still see the text before it (``finditer``'s ``pos``).
    """
    start, end = max(0, start), min(len(text), end)
    out, done = [], 0
    for m in rx.finditer(text, start, end):
        out += [text[done:m.start()], repl(m) if callable(repl) else repl]
        done = m.end()
    return "".join(out) + text[done:] if out else text


def _replace_group(label: str) -> Callable[[re.Match[str]], str]:
    def replace(m: re.Match[str]) -> str:
        whole, start = m.group(0), m.start(0)
        if label == LABELS["ip"] and _VERSION_BEFORE_RE.search(_line_before(m, 1)):
            return whole  # "Release 2.4.0.1" is a version
        return whole[: m.start(1) - start] + label + whole[m.end(1) - start:]
    return replace


_VERSION_BEFORE_RE = re.compile(r"(?i)\b(?:release|version|ver\.?|build|v)[ \t]*$")
# Words that make a number an identifier (order, ticket, invoice number), unless a phone word is nearer.
_ID_BEFORE_RE = re.compile(r"(?i)(?:\b(?:order|ticket|invoice|case|ref|reference|id|build|version|release"
                           r"|transaction|tracking|account|customer|serial|request|job|run)\b[^\n]{0,25}|#[ \t]*)$")
_PHONE_BEFORE_RE = re.compile(r"(?i)\b(?:phone|call|tel|telephone|mobile|cell|ring|reach|fax|whatsapp|sms|text)\b")


def _line_before(m: re.Match[str], group: int | str = 0, width: int = 40) -> str:
    """Up to ``width`` characters before the match (or its group), on the same line."""
    start = m.start(group)
    window = m.string[max(0, start - width):start]
    return window[window.rfind("\n") + 1:]


_TRAILING_PUNCT = ".,;:!?)]}"


def _keyed_secret(m: re.Match[str]) -> str:
    key, raw = m.group("key"), m.group("value")
    if raw[:1] in "\"'" and len(raw) >= 2:  # quoted: always a value
        return f"{key}{raw[0]}{_TOKEN}{raw[-1]}" if len(raw) > 2 else m.group(0)
    value = raw.rstrip(_TRAILING_PUNCT)
    if not value or value[0] in "$<%{[":  # "password: .", a placeholder, or already redacted
        return m.group(0)
    if all(w.isalpha() and w.casefold() in _PROSE_WORDS for w in value.split("-")):  # "is incorrect", "is case-sensitive"
        return m.group(0)
    return f"{key}{_TOKEN}{raw[len(value):]}"


def _login_password(m: re.Match[str]) -> str:
    s, start = m.string, m.start()
    window = s[max(0, start - 300):start]
    if not _LOGIN_RE.search(window[window.rfind("\n") + 1:]):
        return m.group(0)
    value = m.group("value").rstrip(_TRAILING_PUNCT)
    if not value or value[0] in "$<[{%":  # a placeholder, or already redacted
        return m.group(0)
    return m.group(0)[: m.start("value") - start] + _TOKEN + m.group("value")[len(value):]


def _looks_random(s: str) -> bool:
    """A key-like string: upper case, lower case and digits, and over 4.2 bits of entropy per character."""
    if not (any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s)):
        return False
    counts = Counter(s)
    entropy = -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())
    return entropy > 4.2


def _is_card(s: str) -> bool:
    from stdnum import luhn

    digits = re.sub(r"\D", "", s)
    return bool(_CARD_PREFIX_RE.match(digits)) and luhn.is_valid(digits)


def _iban(m: re.Match[str]) -> str:
    """The longest prefix of the match (at a group boundary) that is a valid IBAN, redacted."""
    from stdnum import iban

    s = m.group(0)
    cuts = [len(s)] + [i for i in range(len(s) - 1, 14, -1) if s[i] == " "]
    for cut in cuts:
        if iban.is_valid(s[:cut]):
            return LABELS["iban"] + s[cut:]
    return s


def _phone(m: re.Match[str]) -> str:
    s = m.group(0)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3}", s.strip()):  # a date, an IPv4 address
        return s
    digits = sum(c.isdigit() for c in s)
    if digits < 8 or (s.isdigit() and digits > 11):  # a long bare number is an id, not a national number
        return s
    before = _line_before(m)
    if _ID_BEFORE_RE.search(before) and not _PHONE_BEFORE_RE.search(before[-20:]):
        return s  # "order number is 100-2345678", "#4711-0815"
    return LABELS["phone"]
