"""The simulator's inputs and outputs: :class:`Org`, :class:`User`, :class:`Finding`, :class:`Outcome`.

Inputs are validated and normalised when constructed (:mod:`.values`); an invalid value raises
:class:`~assistant.problems.FaqAssistantError` (a ``ValueError``) naming the field. An
:class:`Outcome` renders itself: :meth:`Outcome.to_dict` (the ``--json`` object),
:meth:`Outcome.to_text` (the terminal text), :meth:`Outcome.to_csv`, and :meth:`Outcome.sentences`
/ :meth:`Outcome.rows` for views that lay the outcome out themselves.
"""

from __future__ import annotations

import csv
import io
import textwrap
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..problems import FaqAssistantError
from .values import boolean, choice, domain_name, split_list

if TYPE_CHECKING:
    from ..knowledge_base import KnowledgeBase

__all__ = [
    "Org", "User", "Finding", "Outcome", "PLANS", "SSO_MODES", "ACCOUNT_KINDS", "USES", "WEB_USES",
    "SIGN_IN_METHODS", "FINDING_SEVERITIES", "ORG_CODES",
]

PLANS = ("personal", "pro", "team", "business")
SSO_MODES = ("off", "enabled", "enforced")
ACCOUNT_KINDS = ("human", "service")
#: What a user does: ``web`` and ``desktop`` sign in like the web (:data:`WEB_USES`); ``cli``, ``api``
#: and ``ci`` like the CLI.
USES = ("web", "desktop", "cli", "api", "ci")
WEB_USES = frozenset({"web", "desktop"})
SIGN_IN_METHODS = ("sso", "password", "pat")
#: Levels of a :class:`Finding`, least severe first (not :data:`assistant.problems.SEVERITIES`,
#: which grade problems in input files): ``"blocker"`` means someone loses access or SSO is not active.
FINDING_SEVERITIES = ("info", "warning", "blocker")
#: Finding codes about the organization itself (the same for every user of a roster).
ORG_CODES = frozenset({"sso-needs-business", "sso-needs-verified-domain", "test-org-enforced", "faq-entry-missing"})


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
    FaqAssistantError
        A ``ValueError`` naming the field: unknown plan or sso value, a domain that is not a
        domain name, a flag that is not true/false.
    """

    plan: str = "business"
    verified_domains: tuple[str, ...] = ()
    sso: str = "off"
    signin_enforced: bool = False
    test_org: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "plan", choice(self.plan, "plan", PLANS, "plan"))
        domains = {domain_name(d.lstrip("@"), "verified_domains") for d in split_list(self.verified_domains)}
        set_(self, "verified_domains", tuple(sorted(domains)))
        set_(self, "sso", choice(self.sso, "sso", SSO_MODES, "sso setting"))
        set_(self, "signin_enforced", boolean(self.signin_enforced, "signin_enforced"))
        set_(self, "test_org", boolean(self.test_org, "test_org"))

    def to_dict(self) -> dict[str, Any]:
        """``{"plan": str, "verified_domains": [str], "sso": str, "signin_enforced": bool, "test_org": bool}``."""
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
    FaqAssistantError
        A ``ValueError`` naming the field: malformed email, unknown account kind or use, a flag
        that is not true/false.
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
        local, at, domain_part = raw.strip().rpartition("@")
        if not at or not local or any(c.isspace() or c in "@<>()[],;:\"" for c in local):
            raise FaqAssistantError(f"email: {self.email!r} is not an email address "
                                    "(expected name@domain, e.g. ana@example.com)")
        set_(self, "email", f"{local}@{domain_name(domain_part, 'email')}")
        set_(self, "account", choice(self.account, "account", ACCOUNT_KINDS, "account kind"))
        for name in ("has_password", "has_pat", "in_idp", "member"):
            set_(self, name, boolean(getattr(self, name), name))
        uses = {choice(u, "uses", USES, "use") for u in split_list(self.uses)}
        set_(self, "uses", tuple(u for u in USES if u in uses))

    @property
    def domain(self) -> str:
        """The email's domain (lower-case ASCII)."""
        return self.email.rpartition("@")[2]

    def to_dict(self) -> dict[str, Any]:
        """``{"email": str, "account": str, "has_password": bool, "has_pat": bool, "in_idp": bool,
        "member": bool, "uses": [str]}``."""
        d = asdict(self)
        d["uses"] = list(self.uses)
        return d


@dataclass
class Finding:
    """Something the simulator concluded, with the FAQ entries that say so.

    ``severity`` is one of :data:`FINDING_SEVERITIES`; ``citations`` are FAQ entry ids of the
    loaded knowledge base; ``rule`` is the key of the :class:`~assistant.simulator.rules.Rule`
    the finding comes from.
    """

    code: str
    severity: str
    message: str
    citations: list[str]
    rule: str = ""

    def to_dict(self) -> dict[str, Any]:
        """``{"code": str, "severity": str, "message": str, "citations": [str]}`` (no ``rule``)."""
        return {"code": self.code, "severity": self.severity, "message": self.message, "citations": list(self.citations)}


_METHOD_WORDS = {"sso": "SSO", "password": "password (iEchor ID)", "pat": "personal access token"}


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _methods(methods: list[str]) -> str:
    return " or ".join(_METHOD_WORDS[m] for m in methods) if methods else "nothing works"


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
        """How many findings have ``severity`` (one of :data:`FINDING_SEVERITIES`)."""
        return sum(f.severity == severity for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``faq-assistant simulate --json``.

        ``{"email": str, "sso_active": bool, "sso_applies": bool, "sso_enforced_for_user": bool,
        "web_sign_in": [str], "cli_sign_in": [str], "auto_added_to_org": bool,
        "desktop_sign_in_required": bool, "blocked_uses": [str], "loses_access": bool,
        "findings": [Finding.to_dict()], "org": Org.to_dict(), "user": User.to_dict()}``.
        """
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

    def sentences(self) -> list[str]:
        """The outcome in plain sentences, one str each (the user's email and domains as given)."""
        o, org, user = self, self.org, self.user
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
        n = {s: o.count(s) for s in FINDING_SEVERITIES}
        out.append(f"{n['blocker']} blocker{'s' * (n['blocker'] != 1)}, {n['warning']} warning{'s' * (n['warning'] != 1)}, "
                   f"{n['info']} note{'s' * (n['info'] != 1)}.")
        return out

    def to_text(self, kb: KnowledgeBase | None = None, *, width: int = 88) -> str:
        """The outcome as terminal text (what ``faq-assistant simulate`` prints), no final newline.

        The :meth:`sentences` wrapped at ``width`` columns, the :meth:`rows` as an aligned table,
        then each finding with its citations: ``cites: <question> (<file>:<line>)`` when ``kb``
        has the cited entry, else ``cites: <entry id>``.
        """
        lines = [textwrap.fill(s, width) for s in self.sentences()] + [""]
        rows = self.rows()
        label_width = max(len(label) for label, _ in rows)
        lines += [f"  {label:{label_width}}  {value}" for label, value in rows]
        if self.findings:
            lines += ["", "Findings:"]
        for f in self.findings:
            lines.append(textwrap.fill(f"[{f.severity}] {f.code}: {f.message}", width, subsequent_indent="    "))
            for entry_id in f.citations:
                e = kb.get(entry_id) if kb is not None else None
                lines.append(f"    cites: {textwrap.shorten(e.question, 70)} ({e.source}:{e.line})" if e is not None
                             else f"    cites: {entry_id}")
        return "\n".join(lines)

    def to_csv(self) -> str:
        """A header row and one row (``"\\n"`` line ends): the :meth:`to_dict` fields without
        ``org`` and ``user``, lists joined with ``"; "``, findings as ``severity:code``."""
        row = {k: "; ".join(v) if isinstance(v, list) else v for k, v in self.to_dict().items()
               if k not in ("findings", "org", "user")}
        row["findings"] = "; ".join(f"{f.severity}:{f.code}" for f in self.findings)
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
        w.writeheader()
        w.writerow(row)
        return out.getvalue()
