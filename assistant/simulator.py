"""Org settings simulator: what an organization's SSO settings do to each user, citing the FAQ.

Support staff are asked "what happens to user X if we turn on / enforce SSO?". :class:`Simulator`
answers it for one user (:meth:`Simulator.simulate`) or a whole roster
(:meth:`Simulator.simulate_roster`) from the rules in :data:`RULES`. Each rule names the FAQ
questions it comes from; the simulator looks them up in the loaded knowledge base
(:meth:`KnowledgeBase.find_question`) and every finding cites the entry ids it found. When the
knowledge base no longer has a cited question, the simulator still applies the rule but says so
in a ``faq-entry-missing`` finding instead of crashing.

Inputs are validated: an unknown plan, a bad ``sso`` value or a malformed email raise
``ValueError`` naming the field (``"plan: unknown plan 'gold' (expected one of ...)"``).

What "works" means: ``web_sign_in`` (web and Desktop) and ``cli_sign_in`` (CLI, API, CI) list
only the sign-in methods that the FAQ agrees keep working for the user. Where two entries
disagree (rule 9 against rule 5, about a service account's password under enforcement) the
simulator follows the more specific entry (rule 9: an existing password keeps working for a service
account), lowers the rule 5/6 "needs a PAT" findings for that account from blocker to warning, and a
``faq-conflict`` finding names the disagreement and cites both sides.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from .knowledge_base import KnowledgeBase
from .parsing import load_yaml

__all__ = [
    "Org", "User", "Finding", "Outcome", "Rule", "RULES", "Simulator", "Roster", "RosterProblem",
    "RosterResult", "load_org", "load_roster", "parse_org", "explain", "resolve_citations",
    "PLANS", "SSO_MODES", "ACCOUNT_KINDS", "USES", "SIGN_IN_METHODS", "SEVERITIES", "ORG_CODES",
]

PLANS = ("personal", "pro", "team", "business")
SSO_MODES = ("off", "enabled", "enforced")
ACCOUNT_KINDS = ("human", "service")
#: What a user does: ``web`` and ``desktop`` sign in like the web; ``cli``, ``api`` and ``ci`` like the CLI.
USES = ("web", "desktop", "cli", "api", "ci")
WEB_USES = frozenset({"web", "desktop"})
CLI_USES = frozenset({"cli", "api", "ci"})
SIGN_IN_METHODS = ("sso", "password", "pat")
SEVERITIES = ("info", "warning", "blocker")
#: Finding codes about the organization itself (the same for every user of a roster).
ORG_CODES = frozenset({"sso-needs-business", "sso-needs-verified-domain", "test-org-enforced", "faq-entry-missing"})

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


# --- rules as data: each names the FAQ questions it comes from ------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of the simulator and the FAQ questions it comes from.

    Attributes
    ----------
    key : str
        Stable name used by findings (``"business-plan"``).
    number : int or None
        The rule's number in issue 5 (``None`` for a rule added beyond that list).
    summary : str
        The rule in one sentence.
    questions : tuple of str
        Exact question texts of the FAQ entries that state the rule; resolved to entry ids with
        :meth:`KnowledgeBase.find_question`.
    """

    key: str
    number: int | None
    summary: str
    questions: tuple[str, ...]


_Q_TEAM = "We currently have a iEchor Team subscription. How do we enable SSO?"
_Q_DNS = "Is DNS verification required to enable SSO?"
_Q_HOLD_OFF = "Can I enable SSO and hold off on the enforcement option?"
_Q_BYPASS = ("SSO is enforced, but one of our users is connected to several organizations (and several email "
             "addresses) and is able to bypass SSO and sign in through username and password. Why is this happening?")
_Q_CLI = "Does iEchor SSO support authenticating through the command line?"
_Q_SERVICE = "How do service accounts work with SSO?"
_Q_CICD = "How does SSO affect our automation systems and CI/CD pipelines?"
_Q_AUTO_ADD = ("If an organization enables SSO, the owners can control iEchor IDs associated with their work email "
               "domain. Some of these iEchor IDs won't be users of iEchor Desktop and therefore don't require a "
               "Business subscription. Can the owners choose which iEchor IDs they add to their iEchor org and get "
               "access to Business features? Is there a way to flag which of these iEchor IDs are iEchor Desktop users?")
_Q_MIGRATE = ("I have a user working on projects within iEchor Desktop but authenticated with personal or no email. "
              "After they buy iEchor Business licenses, they will implement and enforce SSO through Okta to manage "
              "their users. When this user signs on SSO, is their work on DD compromised/impacted with the migration "
              "to the new account?")
_Q_BUILD = ("Once we enable SSO for iEchor Desktop, what's the impact to the flow for Build systems that use "
            "service accounts?")
_Q_SAME = "Is enforcing Single Sign-On the same as enforcing sign-in to iEchor Desktop?"
_Q_TEST = "Is there a way to test this functionality in a test tenant with Okta before going to production?"

#: The simulator's rules, in the order they are applied.
RULES: tuple[Rule, ...] = (
    Rule("business-plan", 1, "SSO needs the Business plan; on another plan it is not active.", (_Q_TEAM,)),
    Rule("verified-domain", 2, "SSO needs a verified domain; without one it is not active.", (_Q_DNS,)),
    Rule("enabled-not-enforced", 3, "Enabled but not enforced: the domain's users may sign in with their "
         "iEchor ID (password) or with SSO.", (_Q_HOLD_OFF,)),
    Rule("domain-scope", 4, "Enforcement covers only sign-ins whose email domain is a verified SSO domain; "
         "other emails sign in as usual.", (_Q_BYPASS,)),
    Rule("sso-credentials", None, "Enforced: users sign in with their SSO credentials instead of their iEchor ID "
         "(so only users in the identity provider can sign in).", (_Q_SAME,)),
    Rule("cli-needs-pat", 5, "Enforced: the CLI and API need a personal access token (PAT), service accounts "
         "included.", (_Q_CLI, _Q_SERVICE)),
    Rule("automation", 6, "Automation and CI/CD need PATs: create them before enforcing.", (_Q_CICD,)),
    Rule("auto-add", 7, "Enforced: every domain email user is added to the org automatically; removed users "
         "cannot authenticate while enforcement holds.", (_Q_AUTO_ADD,)),
    Rule("migration", 8, "Enforced: an account that already uses the organization's email migrates to SSO and its "
         "Desktop work is not affected; a personal email is not migrated.", (_Q_MIGRATE,)),
    Rule("service-accounts", 9, "Service accounts: enabled -> no impact; enforced -> the email must be unaliased "
         "and enabled in the IdP, password and PAT work only where they exist, IdP credential holders can sign in "
         "and manage the PAT.", (_Q_BUILD,)),
    Rule("desktop-sign-in", 10, "Desktop sign-in enforcement is a separate feature: Desktop then requires an "
         "account that is a member of the org, whatever the SSO setting.", (_Q_SAME,)),
    Rule("test-org", 11, "In a test org, enable SSO but do not enforce it, or every domain user is forced into "
         "the test org.", (_Q_TEST,)),
)
_RULES_BY_KEY = {r.key: r for r in RULES}


# --- inputs -----------------------------------------------------------------------------------


def _choice(value: Any, field_name: str, choices: tuple[str, ...], what: str) -> str:
    text = str(value).strip().lower() if isinstance(value, str) else value
    if text not in choices:
        raise ValueError(f"{field_name}: unknown {what} {value!r} (expected one of {', '.join(choices)})")
    return text


def _bool(value: Any, field_name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"{field_name}: expected true or false, got {value!r}")


def _domain(value: Any, field_name: str) -> str:
    """A lower-case ASCII domain name (IDNA-encoded); ``ValueError`` naming the field otherwise."""
    text = str(value).strip().lower().rstrip(".")
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(f"{field_name}: {value!r} is not a domain name (expected e.g. example.com)")
    return ascii_name


def _split_list(value: Any) -> list[str]:
    """Items of a list setting: a string splits on commas, semicolons, bars and spaces; list items
    only on commas, semicolons and bars (so ``["exa mple.com"]`` stays one, invalid, domain)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in re.split(r"[\s,;|]+", value) if v]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [part.strip() for v in value for part in re.split(r"[,;|]", str(v)) if part.strip()]
    return [str(value)]


@dataclass(frozen=True)
class Org:
    """An organization's settings.

    Parameters
    ----------
    plan : {"personal", "pro", "team", "business"}, default "business"
    verified_domains : iterable of str or str, default ()
        Domains verified for SSO (a string may hold several, comma- or space-separated).
        Stored lower-case, IDNA-encoded, sorted without duplicates.
    sso : {"off", "enabled", "enforced"}, default "off"
        ``"enabled"``: an SSO connection is set up for the verified domains.
    signin_enforced : bool, default False
        Desktop sign-in enforcement (a separate feature from SSO).
    test_org : bool, default False
        The organization is a test organization.

    Raises
    ------
    ValueError
        Naming the field: unknown plan or sso value, a domain that is not a domain name, a
        flag that is not true/false.
    """

    plan: str = "business"
    verified_domains: tuple[str, ...] = ()
    sso: str = "off"
    signin_enforced: bool = False
    test_org: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "plan", _choice(self.plan, "plan", PLANS, "plan"))
        domains = {_domain(d.lstrip("@"), "verified_domains") for d in _split_list(self.verified_domains)}
        set_(self, "verified_domains", tuple(sorted(domains)))
        set_(self, "sso", _choice(self.sso, "sso", SSO_MODES, "sso setting"))
        set_(self, "signin_enforced", _bool(self.signin_enforced, "signin_enforced"))
        set_(self, "test_org", _bool(self.test_org, "test_org"))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["verified_domains"] = list(self.verified_domains)
        return d


@dataclass(frozen=True)
class User:
    """One user (or service account) of the organization.

    Parameters
    ----------
    email : str
        Required; ``name@domain``. The domain is stored lower-case.
    account : {"human", "service"}, default "human"
    has_password : bool, default True
        The account has an iEchor ID password.
    has_pat : bool, default False
        The account has a personal access token.
    in_idp : bool, default True
        The email exists, unaliased and enabled, in the identity provider.
    member : bool, default False
        Already a member of the organization.
    uses : iterable of str or str, default ("desktop",)
        Subset of :data:`USES`; stored in that order without duplicates.

    Raises
    ------
    ValueError
        Naming the field: malformed email, unknown account kind or use, a flag that is not true/false.
    """

    email: str
    account: str = "human"
    has_password: bool = True
    has_pat: bool = False
    in_idp: bool = True
    member: bool = False
    uses: tuple[str, ...] = ("desktop",)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        raw = self.email if isinstance(self.email, str) else ""
        local, at, domain = raw.strip().rpartition("@")
        if not at or not local or any(c.isspace() or c in "@<>()[],;:\"" for c in local):
            raise ValueError(f"email: {self.email!r} is not an email address (expected name@domain, e.g. ana@example.com)")
        set_(self, "email", f"{local}@{_domain(domain, 'email')}")
        set_(self, "account", _choice(self.account, "account", ACCOUNT_KINDS, "account kind"))
        for name in ("has_password", "has_pat", "in_idp", "member"):
            set_(self, name, _bool(getattr(self, name), name))
        uses = {_choice(u, "uses", USES, "use") for u in _split_list(self.uses)}
        set_(self, "uses", tuple(u for u in USES if u in uses))

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["uses"] = list(self.uses)
        return d


# --- outputs ----------------------------------------------------------------------------------


@dataclass
class Finding:
    """Something the simulator concluded, with the FAQ entries that say so.

    ``severity`` is ``"info"``, ``"warning"`` or ``"blocker"`` (someone loses access or SSO is
    not active); ``citations`` are FAQ entry ids of the loaded knowledge base; ``rule`` is the
    :class:`Rule` key the finding comes from.
    """

    code: str
    severity: str
    message: str
    citations: list[str]
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "citations": list(self.citations)}


@dataclass
class Outcome:
    """What the organization's settings do to one user.

    Attributes
    ----------
    org, user : Org, User
        The inputs.
    sso_active : bool
        SSO is configured (enabled or enforced) on the Business plan with a verified domain.
    sso_applies : bool
        SSO is active and the user's email domain is one of the verified domains.
    sso_enforced_for_user : bool
        SSO applies to the user and is enforced.
    web_sign_in, cli_sign_in : list of str
        Sign-in methods (from ``"sso"``, ``"password"``, ``"pat"``) that work for the web and
        Desktop, and for the CLI, API and CI.
    auto_added_to_org : bool
        Enforcement adds the user to the organization (they are not a member yet).
    desktop_sign_in_required : bool
        Desktop requires signing in to a member account (Desktop sign-in enforcement).
    blocked_uses : list of str
        The user's uses (from :data:`USES`) that no longer work under these settings.
    findings : list of Finding
        In rule order; ``faq-entry-missing`` findings last.
    """

    org: Org
    user: User
    sso_active: bool
    sso_applies: bool
    sso_enforced_for_user: bool
    web_sign_in: list[str]
    cli_sign_in: list[str]
    auto_added_to_org: bool
    desktop_sign_in_required: bool
    blocked_uses: list[str]
    findings: list[Finding] = field(default_factory=list)

    @property
    def loses_access(self) -> bool:
        """True when a use stops working or a finding about this user is a blocker."""
        return bool(self.blocked_uses) or any(f.severity == "blocker" for f in self.user_findings)

    @property
    def user_findings(self) -> list[Finding]:
        """Findings about this user (not about the organization, see :data:`ORG_CODES`)."""
        return [f for f in self.findings if f.code not in ORG_CODES]

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``faq-assistant simulate --json``."""
        return {
            "email": self.user.email,
            "sso_active": self.sso_active,
            "sso_applies": self.sso_applies,
            "sso_enforced_for_user": self.sso_enforced_for_user,
            "web_sign_in": list(self.web_sign_in),
            "cli_sign_in": list(self.cli_sign_in),
            "auto_added_to_org": self.auto_added_to_org,
            "desktop_sign_in_required": self.desktop_sign_in_required,
            "blocked_uses": list(self.blocked_uses),
            "loses_access": self.loses_access,
            "findings": [f.to_dict() for f in self.findings],
            "org": self.org.to_dict(),
            "user": self.user.to_dict(),
        }

    def rows(self) -> list[tuple[str, str]]:
        """The outcome as (label, value in words) rows, for a table."""
        return [
            ("SSO active", _yes_no(self.sso_active)),
            ("SSO applies to this email", _yes_no(self.sso_applies)),
            ("SSO enforced for this user", _yes_no(self.sso_enforced_for_user)),
            ("Web and Desktop sign-in", _methods(self.web_sign_in)),
            ("CLI, API and CI sign-in", _methods(self.cli_sign_in)),
            ("Added to the org automatically", _yes_no(self.auto_added_to_org)),
            ("Desktop sign-in required", _yes_no(self.desktop_sign_in_required)),
            ("Uses that stop working", ", ".join(self.blocked_uses) or "none"),
        ]


_METHOD_WORDS = {"sso": "SSO", "password": "password (iEchor ID)", "pat": "personal access token"}


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _methods(methods: list[str]) -> str:
    return " or ".join(_METHOD_WORDS[m] for m in methods) if methods else "nothing works"


def explain(outcome: Outcome) -> list[str]:
    """The outcome in plain sentences (the user's email and domains are inserted as given)."""
    o, org, user = outcome, outcome.org, outcome.user
    who = user.email
    out: list[str] = []
    if org.sso == "off":
        out.append("SSO is off for this organization.")
    elif not o.sso_active:
        reasons = []
        if org.plan != "business":
            reasons.append(f"the organization is on the {org.plan} plan and SSO needs Business")
        if not org.verified_domains:
            reasons.append("no domain is verified")
        out.append(f"SSO is set to {org.sso} but is not active: {' and '.join(reasons)}.")
    elif not o.sso_applies:
        out.append(f"SSO does not apply to {who}: {user.domain} is not a verified domain "
                   f"(verified: {', '.join(org.verified_domains)}).")
    elif o.sso_enforced_for_user:
        out.append(f"SSO is enforced for {who} ({user.domain} is a verified domain).")
    else:
        out.append(f"SSO is enabled but not enforced for {who} ({user.domain} is a verified domain).")
    kind = "This service account" if user.account == "service" else "They"
    if o.web_sign_in:
        out.append(f"{kind} sign{'s' if kind != 'They' else ''} in on the web and in Desktop with "
                   f"{_methods(o.web_sign_in)}.")
    else:
        out.append(f"{kind} cannot sign in on the web or in Desktop.")
    if o.cli_sign_in:
        out.append(f"The CLI, API and CI accept {_methods(o.cli_sign_in)}.")
    else:
        out.append("The CLI, API and CI do not accept any of their credentials.")
    if o.auto_added_to_org:
        out.append("They are added to the organization automatically.")
    elif user.member:
        out.append("They are already a member of the organization.")
    else:
        out.append("They are not a member of the organization and are not added to it.")
    out.append("Desktop requires signing in to a member account." if o.desktop_sign_in_required
               else "Desktop does not require signing in.")
    if o.blocked_uses:
        out.append(f"They lose access to: {', '.join(o.blocked_uses)}.")
    elif user.uses:
        out.append(f"Everything they use keeps working ({', '.join(user.uses)}).")
    n = {s: o.count(s) for s in SEVERITIES}
    out.append(f"{n['blocker']} blocker{'s' * (n['blocker'] != 1)}, {n['warning']} warning{'s' * (n['warning'] != 1)}, "
               f"{n['info']} note{'s' * (n['info'] != 1)}.")
    return out


# --- the simulator ----------------------------------------------------------------------------


class _Findings:
    """Collects findings, resolving each rule's citations and noting questions the KB lacks."""

    def __init__(self, citations: Mapping[str, list[str]], missing: Mapping[str, list[str]]):
        self._citations, self._missing = citations, missing
        self.items: list[Finding] = []
        self._missing_items: list[Finding] = []
        self._reported: set[str] = set()

    def add(self, rule: str | tuple[str, ...], code: str, severity: str, message: str) -> None:
        keys = (rule,) if isinstance(rule, str) else rule
        ids: list[str] = []
        for key in keys:
            ids += [i for i in self._citations[key] if i not in ids]
            for question in self._missing[key]:
                if question not in self._reported:
                    self._reported.add(question)
                    r = _RULES_BY_KEY[key]
                    self._missing_items.append(Finding(
                        "faq-entry-missing", "warning",
                        f"The knowledge base has no FAQ entry with the question “{question}”, which rule "
                        f"'{key}' ({r.summary}) comes from: the finding '{code}' is not backed by this knowledge "
                        "base. Check the FAQ before relying on it.", [], key))
        self.items.append(Finding(code, severity, message, ids, keys[0]))

    def all(self) -> list[Finding]:
        return self.items + self._missing_items


def resolve_citations(kb: KnowledgeBase) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Entry ids of each rule's questions in ``kb``, and the questions ``kb`` lacks.

    Returns
    -------
    citations : dict
        Rule key -> entry ids found (in the rule's question order).
    missing : dict
        Rule key -> question texts with no entry in ``kb``.
    """
    citations: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for r in RULES:
        found = [(q, kb.find_question(q)) for q in r.questions]
        citations[r.key] = [e.id for _, e in found if e is not None]
        missing[r.key] = [q for q, e in found if e is None]
    return citations, missing


class Simulator:
    """Apply :data:`RULES` to an organization and its users, citing the knowledge base.

    Parameters
    ----------
    kb : KnowledgeBase, optional
        Where citations are looked up; default the bundled knowledge base.

    Attributes
    ----------
    citations_ : dict
        Rule key -> cited FAQ entry ids found in ``kb``.
    missing_ : dict
        Rule key -> cited questions ``kb`` does not have (reported as ``faq-entry-missing`` findings).
    """

    def __init__(self, kb: KnowledgeBase | None = None):
        self.kb = kb if kb is not None else KnowledgeBase.load()
        self.citations_, self.missing_ = resolve_citations(self.kb)

    def simulate(self, org: Org | Mapping[str, Any], user: User | Mapping[str, Any]) -> Outcome:
        """What ``org``'s settings do to ``user``.

        ``org`` and ``user`` may be mappings of the :class:`Org` / :class:`User` fields.
        Raises ``ValueError`` naming the field for invalid input.
        """
        org = org if isinstance(org, Org) else parse_org(org)
        user = user if isinstance(user, User) else _user_from_mapping(user)
        f = _Findings(self.citations_, self.missing_)
        who, domain = user.email, user.domain
        service = user.account == "service"
        configured = org.sso != "off"
        enforced = org.sso == "enforced"

        # Rules 1 and 2: SSO is active only on Business with a verified domain.
        if configured and org.plan != "business":
            f.add("business-plan", "sso-needs-business", "blocker",
                  f"SSO is set to {org.sso} but the organization is on the {org.plan} plan: SSO needs a Business "
                  "subscription, so it is not active. Upgrade to Business first.")
        if configured and not org.verified_domains:
            f.add("verified-domain", "sso-needs-verified-domain", "blocker",
                  f"SSO is set to {org.sso} but no domain is verified: a domain must be verified before it can be "
                  "used with an SSO connection, so SSO is not active. Verify the organization's email domain first.")
        sso_active = configured and org.plan == "business" and bool(org.verified_domains)
        applies = sso_active and domain in org.verified_domains
        enforced_for_user = applies and enforced

        # Without SSO for this user: their iEchor ID password and any PAT, as before.
        web = ["password"] if user.has_password else []
        cli = (["password"] if user.has_password else []) + (["pat"] if user.has_pat else [])

        # Rule 3: enabled, not enforced -> SSO or the iEchor ID password.
        if applies and not enforced:
            web = (["sso"] if user.in_idp else []) + web
            via = "SSO" + (" or their iEchor ID password" if user.has_password else "")
            note = "" if user.in_idp else " (SSO only once their email is in the identity provider)"
            f.add("enabled-not-enforced", "sso-optional", "info",
                  f"SSO is enabled but not enforced for {domain}: {who} may sign in with {via}{note}.")

        # Rule 4: enforcement covers only verified SSO domains.
        if sso_active and not applies:
            if enforced:
                f.add("domain-scope", "enforcement-not-applicable", "warning",
                      f"SSO enforcement does not apply to {who}: {domain} is not a verified SSO domain "
                      f"({', '.join(org.verified_domains)}), so they can bypass SSO and sign in with their "
                      "username and password as usual.")
            else:
                f.add(("domain-scope", "verified-domain"), "sso-not-applicable", "info",
                      f"SSO does not cover {who}: {domain} is not a verified SSO domain; they sign in as usual.")

        if enforced_for_user:
            # Enforced: SSO credentials instead of the iEchor ID; the CLI and API need a PAT.
            web = ["sso"] if user.in_idp else []
            cli = ["pat"] if user.has_pat else []
            # Rule 9: a service account's existing password (and PAT) still work under enforcement.
            kept_password = service and user.has_password
            if kept_password:
                web.append("password")
                cli.insert(0, "password")
            if not service:
                if user.in_idp:
                    f.add("sso-credentials", "sso-required", "info",
                          f"SSO is enforced for {who}: they sign in with their SSO credentials instead of their "
                          "iEchor ID password.")
                else:
                    f.add("sso-credentials", "not-in-idp", "blocker" if WEB_USES & set(user.uses) else "warning",
                          f"SSO is enforced for {who}, who must sign in with SSO credentials instead of their "
                          "iEchor ID, but the email is not (unaliased and enabled) in the identity provider: they "
                          "cannot sign in on the web or in Desktop until it is.")

            # Rule 5.
            cli_uses = [u for u in ("cli", "api") if u in user.uses]
            if not user.has_pat:
                if cli_uses:
                    f.add("cli-needs-pat", "cli-needs-pat", "warning" if kept_password else "blocker",
                          f"SSO is enforced for {who}, so the CLI and API need a personal access token and they "
                          f"have none: the {' and '.join(u.upper() for u in cli_uses)} "
                          f"stop{'s' * (len(cli_uses) == 1)} working for them. Create a PAT before enforcing.")
                else:
                    f.add("cli-needs-pat", "cli-needs-pat", "info",
                          f"SSO is enforced for {who}: if they use the CLI or API they will need a personal "
                          "access token.")

        # Rule 6: automation and CI/CD need PATs.
        if applies and "ci" in user.uses and not user.has_pat:
            if enforced:
                f.add("automation", "ci-needs-pat", "warning" if service and user.has_password else "blocker",
                      f"SSO is enforced for {who} and their CI/CD uses no personal access token: automation "
                      "stops working. Create PATs and use them instead of a password.")
            else:
                f.add("automation", "ci-needs-pat", "warning",
                      f"{who} runs CI/CD without a personal access token: create PATs for automation and use them "
                      "instead of a password before enforcing SSO.")

        if enforced_for_user:
            # Rule 7.
            if user.member:
                f.add("auto-add", "removal-locks-out", "info",
                      f"SSO enforcement applies to every {domain} user: if an admin removes {who} from the "
                      "organization, they cannot authenticate while enforcement holds.")
            else:
                f.add("auto-add", "auto-added", "info",
                      f"SSO enforcement adds {who} to the organization automatically (every {domain} user is "
                      "added). An admin may remove them, but then they cannot authenticate while enforcement holds.")
            # Rule 8.
            desktop = " Their work in Desktop is not affected." if "desktop" in user.uses else ""
            f.add("migration", "account-migrates", "info",
                  f"The account already uses the organization's email ({who}), so it is migrated to SSO.{desktop}")
        elif sso_active and enforced and not applies:
            f.add("migration", "not-migrated", "info",
                  f"{who} does not use an email of a verified domain (e.g. a personal email), so the account is "
                  "not migrated to SSO.")

        # Rule 9: service accounts.
        if service and applies and not enforced:
            f.add("service-accounts", "service-account-unaffected", "info",
                  f"SSO is only enabled: no impact on service account {who}; username/password and personal "
                  "access token sign-in keep working.")
        if service and enforced_for_user:
            if user.in_idp:
                f.add("service-accounts", "service-account-idp", "info",
                      f"Whoever knows the identity provider credentials of {who} can sign in as it through SSO and "
                      "create or change its personal access token.")
            else:
                lost = not user.has_pat
                f.add("service-accounts", "service-account-not-in-idp", "blocker" if lost else "warning",
                      f"Service account {who} is not unaliased and enabled in the identity provider: it cannot sign "
                      "in through SSO, so nobody can sign in as it to create or change its personal access token"
                      + ("." if lost else "; its existing token keeps working."))
            if user.has_password:
                f.add(("service-accounts", "cli-needs-pat"), "faq-conflict", "warning",
                      f"The FAQ disagrees about the password of service account {who}: one entry says "
                      "username/password still works under enforcement where it already exists, others say "
                      "SSO-domain accounts need a personal access token for the CLI and API. The simulator follows "
                      "the service-account entry (the password is listed as working) but do not count on it: "
                      "create a PAT before enforcing.")
            elif not user.has_pat:
                f.add("service-accounts", "service-account-no-credentials", "warning",
                      f"Service account {who} has no password or personal access token: under enforcement none "
                      "is created for it, so only SSO sign-in (by whoever holds its IdP credentials) can reach it.")

        # Rule 10: Desktop sign-in enforcement is separate.
        auto_added = enforced_for_user and not user.member
        is_member = user.member or auto_added
        if org.signin_enforced:
            if "desktop" in user.uses and not is_member:
                f.add("desktop-sign-in", "desktop-needs-membership", "blocker",
                      f"Desktop sign-in is enforced: Desktop requires signing in to an account that is a member of "
                      f"the organization, and {who} is not one (nor added automatically). Invite them to the "
                      "organization.")
            else:
                f.add("desktop-sign-in", "desktop-sign-in-enforced", "info",
                      "Desktop sign-in is enforced: Desktop requires signing in to an account that is a member "
                      "of the organization" + (f"; {who} is one." if is_member else "."))
        elif enforced_for_user and "desktop" in user.uses:
            f.add("desktop-sign-in", "desktop-sign-in-separate", "info",
                  "Enforcing SSO does not enforce signing in to Desktop: that is a separate setting "
                  "(Desktop sign-in enforcement), off here.")

        # Rule 11: test organizations.
        if org.test_org and enforced:
            f.add("test-org", "test-org-enforced", "warning",
                  "This is a test organization with SSO enforced: only enable SSO in a test organization, do not "
                  "enforce it, or every domain email user is forced to sign in to the test organization.")

        blocked = [u for u in user.uses if not (web if u in WEB_USES else cli)]
        if "desktop" in user.uses and "desktop" not in blocked and org.signin_enforced and not is_member:
            blocked.append("desktop")
        blocked = [u for u in USES if u in blocked]
        return Outcome(org, user, sso_active, applies, enforced_for_user, web, cli, auto_added,
                       org.signin_enforced, blocked, f.all())

    def simulate_roster(self, org: Org | Mapping[str, Any], roster: "Roster | Iterable[User]") -> "RosterResult":
        """Simulate every user of a roster; invalid roster rows are kept as problems, not dropped.

        Parameters
        ----------
        org : Org or mapping
        roster : Roster or iterable of User
            From :func:`load_roster` (keeps file lines and row problems), or users.

        Returns
        -------
        RosterResult
            ``frame`` has one row per roster row (invalid rows carry ``error``); ``summary`` says
            whether the organization is ready and who would lose access.
        """
        org = org if isinstance(org, Org) else parse_org(org)
        if not isinstance(roster, Roster):
            roster = Roster("<users>", [(n, u) for n, u in enumerate(roster, 1)], [])
        outcomes = [(line, self.simulate(org, user)) for line, user in roster.users]
        return RosterResult(org, roster, outcomes)


# --- org files and rosters --------------------------------------------------------------------


def parse_org(data: Mapping[str, Any] | None, source: str = "org") -> Org:
    """An :class:`Org` from a mapping (e.g. loaded YAML); unknown keys are errors.

    Raises ``ValueError`` as ``"<source>: <field>: <message>"``.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{source}: expected a mapping of settings (plan, verified_domains, sso, "
                         f"signin_enforced, test_org), got a {type(data).__name__}")
    known = Org.__dataclass_fields__.keys()
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        raise ValueError(f"{source}: unknown setting {', '.join(map(repr, unknown))} "
                         f"(expected {', '.join(known)})")
    try:
        return Org(**{str(k): v for k, v in data.items() if v is not None})
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None


def load_org(path: str | Path) -> Org:
    """Read an organization's settings from a YAML file (keys: the :class:`Org` fields).

    ``sso: off`` stays the string ``"off"`` (only ``true``/``false`` are booleans).

    Raises
    ------
    ValueError
        The file cannot be read or parsed, or a setting is invalid (message names file and field).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the org file: {exc.strerror or exc}") from None
    raw = raw.removeprefix(codecs.BOM_UTF8)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"{path}:{line}: not UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8") from None
    try:
        data = load_yaml(text)
    except Exception as exc:  # yaml.YAMLError
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValueError(f"{where}: YAML does not parse: {getattr(exc, 'problem', exc)}") from None
    return parse_org(data, str(path))


@dataclass
class RosterProblem:
    """One roster row that could not be used (``line`` is 1-based in the CSV file)."""

    file: str
    line: int
    email: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Roster:
    """Users read from a CSV file: ``users`` as (line, User) and the rows that were invalid."""

    source: str
    users: list[tuple[int, User]]
    problems: list[RosterProblem]


ROSTER_COLUMNS = ("email", "account", "has_password", "has_pat", "in_idp", "member", "uses")


def load_roster(path: str | Path | None = None, *, text: str | None = None) -> Roster:
    """Read users from CSV (a header row, then one user per row).

    Columns: ``email`` (required) and optionally ``account``, ``has_password``, ``has_pat``,
    ``in_idp``, ``member`` (true/false, yes/no, 1/0) and ``uses`` (e.g. ``desktop;cli``). Empty
    cells take the :class:`User` defaults; other columns (``name``, ``team`` ...) are ignored.

    Raises
    ------
    ValueError
        The file cannot be read, has no ``email`` column, or its header row is not UTF-8. A bad
        row does not raise: it becomes a :class:`RosterProblem` naming its line and field (an
        empty email, a bad value, or bytes that are not UTF-8, reported at the line that holds
        them), and the other rows are kept.
    """
    source = str(path) if path is not None else "<roster>"
    bad_bytes: dict[int, int] = {}  # physical line -> first byte that is not UTF-8
    if text is None:
        try:
            raw = Path(path).read_bytes()  # type: ignore[arg-type]
        except OSError as exc:
            raise ValueError(f"{source}: cannot read the roster: {exc.strerror or exc}") from None
        text, bad_bytes = _decode_lines(raw.removeprefix(codecs.BOM_UTF8))
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    header_end = reader.line_num
    bad_header = [n for n in bad_bytes if n <= header_end]
    if bad_header:
        n = bad_header[0]
        raise ValueError(f"{source}:{n}: not UTF-8 (byte {bad_bytes[n]:#04x}) in the header row; save the file as UTF-8")
    if "email" not in header:
        raise ValueError(f"{source}:1: the roster has no 'email' column (columns: {', '.join(ROSTER_COLUMNS)})")
    reader.fieldnames = header
    users: list[tuple[int, User]] = []
    problems: list[RosterProblem] = []
    row_end = header_end
    for row in reader:
        row_start, row_end = row_end + 1, reader.line_num
        line = row_end
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
        values = {k: (row.get(k) or "").strip() for k in ROSTER_COLUMNS if k in header}
        bad = [n for n in range(row_start, row_end + 1) if n in bad_bytes]
        if bad:
            field = next((k for k, v in row.items() if k is not None and "\ufffd" in (v or "")), "")
            where = f"{field}: " if field else ""
            problems.append(RosterProblem(source, bad[0], values.get("email", ""),
                                          f"{where}not UTF-8 (byte {bad_bytes[bad[0]]:#04x}); save the file as UTF-8"))
            continue
        fields = {k: v for k, v in values.items() if v != ""}
        if "email" not in fields:
            problems.append(RosterProblem(source, line, "", "email: required (e.g. ana@example.com)"))
            continue
        try:
            users.append((line, User(**fields)))
        except (ValueError, TypeError) as exc:
            problems.append(RosterProblem(source, line, values.get("email", ""), str(exc)))
    return Roster(source, users, problems)


def _decode_lines(raw: bytes) -> tuple[str, dict[int, int]]:
    """UTF-8 text of ``raw``, lines that are not UTF-8 decoded with U+FFFD; ``{line: first bad byte}``."""
    try:
        return raw.decode("utf-8"), {}
    except UnicodeDecodeError:
        pass
    lines, bad = [], {}
    for n, part in enumerate(raw.split(b"\n"), 1):  # a UTF-8 sequence never spans a newline byte
        try:
            lines.append(part.decode("utf-8"))
        except UnicodeDecodeError as exc:
            bad[n] = part[exc.start]
            lines.append(part.decode("utf-8", "replace"))
    return "\n".join(lines), bad


def _user_from_mapping(data: Mapping[str, Any]) -> User:
    unknown = [str(k) for k in data if k not in User.__dataclass_fields__]
    if unknown:
        raise ValueError(f"unknown user field {', '.join(map(repr, unknown))} (expected {', '.join(ROSTER_COLUMNS)})")
    if not data.get("email"):
        raise ValueError("email: required (e.g. ana@example.com)")
    return User(**{str(k): v for k, v in data.items() if v is not None})


#: Columns of :attr:`RosterResult.frame`, in order.
ROSTER_FRAME_COLUMNS = [
    "line", "email", "account", "sso_applies", "sso_enforced_for_user", "web_sign_in", "cli_sign_in",
    "auto_added_to_org", "desktop_sign_in_required", "blocked_uses", "loses_access", "blockers", "warnings", "error",
]


class RosterResult:
    """Outcomes for a roster, one row per user, and a summary for "are we ready to enforce?".

    Attributes
    ----------
    org : Org
    roster : Roster
    outcomes : list of (int, Outcome)
        File line and outcome of each valid row.
    frame : pandas.DataFrame
        :data:`ROSTER_FRAME_COLUMNS`; list columns hold lists of str; ``blockers``/``warnings``
        are the codes of user findings; invalid rows have only ``line``, ``email``, ``error``.
    org_findings : list of Finding
        Findings about the organization itself (:data:`ORG_CODES`), once.
    summary : dict
        ``users``, ``invalid_rows``, ``sso_active``, ``ready`` (SSO active, no blocker, no invalid
        row), ``not_ready_because`` (list of str, empty when ready), ``enforced_for``, ``auto_added``, ``not_covered``, ``losing_access``
        (``[{"line", "email", "blocked_uses", "blockers"}]``), ``org_findings`` and
        ``findings_by_code`` (user findings).
    """

    def __init__(self, org: Org, roster: Roster, outcomes: list[tuple[int, Outcome]]):
        self.org, self.roster, self.outcomes = org, roster, outcomes
        self.org_findings = self._org_findings()
        self.frame = self._frame()
        self.summary = self._summary()

    def _org_findings(self) -> list[Finding]:
        seen: dict[tuple[str, str], Finding] = {}
        for _, o in self.outcomes:
            for f in o.findings:
                if f.code in ORG_CODES:
                    seen.setdefault((f.code, f.message), f)
        return list(seen.values())

    def _frame(self) -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        for line, o in self.outcomes:
            uf = o.user_findings
            rows.append({
                "line": line, "email": o.user.email, "account": o.user.account, "sso_applies": o.sso_applies,
                "sso_enforced_for_user": o.sso_enforced_for_user, "web_sign_in": o.web_sign_in,
                "cli_sign_in": o.cli_sign_in, "auto_added_to_org": o.auto_added_to_org,
                "desktop_sign_in_required": o.desktop_sign_in_required, "blocked_uses": o.blocked_uses,
                "loses_access": o.loses_access, "blockers": [f.code for f in uf if f.severity == "blocker"],
                "warnings": [f.code for f in uf if f.severity == "warning"], "error": None,
            })
        for p in self.roster.problems:
            rows.append({"line": p.line, "email": p.email, "error": p.message})
        frame = pd.DataFrame(rows, columns=ROSTER_FRAME_COLUMNS)
        return frame.sort_values("line", kind="stable").reset_index(drop=True)

    def _summary(self) -> dict[str, Any]:
        outcomes = [o for _, o in self.outcomes]
        losing = [{"line": line, "email": o.user.email, "blocked_uses": o.blocked_uses,
                   "blockers": [f.code for f in o.user_findings if f.severity == "blocker"]}
                  for line, o in self.outcomes if o.loses_access]
        by_code: dict[str, int] = {}
        for o in outcomes:
            for f in o.user_findings:
                by_code[f.code] = by_code.get(f.code, 0) + 1
        sso_active = any(o.sso_active for o in outcomes) if outcomes else False
        reasons = []
        if not outcomes:
            reasons.append("no valid user rows")
        if not sso_active:
            reasons.append("SSO is off" if self.org.sso == "off" else "SSO would not be active (see organization findings)")
        if losing:
            reasons.append(f"{len(losing)} user{'s' * (len(losing) != 1)} would lose access")
        if self.roster.problems:
            n = len(self.roster.problems)
            reasons.append(f"{n} invalid row{'s' * (n != 1)} not simulated (fix and run again)")
        if sso_active and any(f.severity == "blocker" for f in self.org_findings):
            reasons.append("the organization has blocker findings")
        return {
            "users": len(outcomes),
            "invalid_rows": len(self.roster.problems),
            "sso_active": sso_active,
            "ready": not reasons,
            "not_ready_because": reasons,
            "enforced_for": sum(o.sso_enforced_for_user for o in outcomes),
            "auto_added": sum(o.auto_added_to_org for o in outcomes),
            "not_covered": sum(o.sso_active and not o.sso_applies for o in outcomes),
            "losing_access": losing,
            "org_findings": [f.to_dict() for f in self.org_findings],
            "findings_by_code": dict(sorted(by_code.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``faq-assistant simulate --roster ... --format json``."""
        users: list[dict[str, Any]] = [{"line": line, **o.to_dict()} for line, o in self.outcomes]
        users += [{"line": p.line, "email": p.email, "error": p.message} for p in self.roster.problems]
        users.sort(key=lambda u: u["line"])
        for u in users:
            u.pop("org", None)
        return {"org": self.org.to_dict(), "summary": self.summary, "users": users}

    def explain(self) -> list[str]:
        """The summary in plain sentences."""
        s = self.summary
        out = [f"{s['users']} user{'s' * (s['users'] != 1)} simulated"
               + (f", {s['invalid_rows']} invalid row{'s' * (s['invalid_rows'] != 1)} skipped" if s["invalid_rows"] else "")
               + "."]
        for f in self.org_findings:
            out.append(f"Organization {f.severity}: {f.message}")
        if s["sso_active"]:
            out.append(f"SSO is {self.org.sso} for {s['enforced_for'] if self.org.sso == 'enforced' else s['users'] - s['not_covered']} "
                       f"of them; {s['not_covered']} use{'s' * (s['not_covered'] == 1)} an email outside the verified domains; "
                       f"{s['auto_added']} would be added to the organization automatically.")
        if s["losing_access"]:
            out.append(f"{len(s['losing_access'])} would lose access:")
            for u in s["losing_access"]:
                what = ", ".join(u["blocked_uses"]) or "see findings"
                out.append(f"  - {u['email']} (line {u['line']}): {what} [{', '.join(u['blockers'])}]")
        else:
            out.append("Nobody would lose access.")
        out.append("Ready: yes." if s["ready"] else f"Ready: no ({'; '.join(s['not_ready_because'])}).")
        return out
