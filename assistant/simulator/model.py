"""The SSO rules' typed inputs :class:`Org` and :class:`User`, and the :class:`Finding` of any rules file.

Inputs are validated and normalised when constructed (:mod:`.values`); an invalid value raises
:class:`~assistant.problems.FaqAssistantError` (a ``ValueError``) naming the field. Their fields
are the ``org:`` and ``user:`` fields of ``kb/simulator.yaml`` (a test checks they agree).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..problems import FaqAssistantError
from .values import boolean, choice, domain_name, split_list


__all__ = [
    "Org", "User", "Finding", "PLANS", "SSO_MODES", "ACCOUNT_KINDS", "USES", "WEB_USES", "SIGN_IN_METHODS",
]

PLANS = ("personal", "pro", "team", "business")
SSO_MODES = ("off", "enabled", "enforced")
ACCOUNT_KINDS = ("human", "service")
#: What a user does: ``web`` and ``desktop`` sign in like the web (:data:`WEB_USES`); ``cli``, ``api``
#: and ``ci`` like the CLI.
USES = ("web", "desktop", "cli", "api", "ci")
WEB_USES = frozenset({"web", "desktop"})
SIGN_IN_METHODS = ("sso", "password", "pat")


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
    removed : bool, default False
        An admin removed the user from the organization (then ``member`` must be false).
    other_emails : iterable of str or str, default ()
        Other emails the person signs in with (other accounts, other organizations).
    other_orgs : iterable of str or str, default ()
        Other organizations the person belongs to (names, as written).

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
    removed: bool = False
    other_emails: tuple[str, ...] = ()
    other_orgs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "email", _email(self.email, "email"))
        set_(self, "account", choice(self.account, "account", ACCOUNT_KINDS, "account kind"))
        for name in ("has_password", "has_pat", "in_idp", "member", "removed"):
            set_(self, name, boolean(getattr(self, name), name))
        if self.removed and self.member:
            raise FaqAssistantError("removed: a user removed from the organization is not a member "
                                    "(set member to false)")
        uses = {choice(u, "uses", USES, "use") for u in split_list(self.uses)}
        set_(self, "uses", tuple(u for u in USES if u in uses))
        set_(self, "other_emails", tuple(dict.fromkeys(_email(e, "other_emails") for e in split_list(self.other_emails))))
        orgs = split_list(self.other_orgs)
        bad = next((o for o in orgs if not o.isprintable()), None)
        if bad is not None:
            raise FaqAssistantError(f"other_orgs: {bad!r} has control characters (expected organization names)")
        set_(self, "other_orgs", tuple(dict.fromkeys(orgs)))

    @property
    def domain(self) -> str:
        """The email's domain (lower-case ASCII)."""
        return self.email.rpartition("@")[2]

    def to_dict(self) -> dict[str, Any]:
        """``{"email": str, "account": str, "has_password": bool, "has_pat": bool, "in_idp": bool,
        "member": bool, "uses": [str]}``."""
        d = asdict(self)
        for k in ("uses", "other_emails", "other_orgs"):
            d[k] = list(d[k])
        return d


def _email(value: Any, field_name: str) -> str:
    """``name@domain`` with the domain lower-case ASCII; raises naming ``field_name``."""
    raw = value if isinstance(value, str) else ""
    local, at, domain_part = raw.strip().rpartition("@")
    if not at or not local or any(c.isspace() or not c.isprintable() or c in "@<>()[],;:\"" for c in local):
        raise FaqAssistantError(f"{field_name}: {value!r} is not an email address "
                                "(expected name@domain, e.g. ana@example.com)")
    return f"{local}@{domain_name(domain_part, field_name)}"


@dataclass
class Finding:
    """Something the simulator concluded, with the FAQ entries that say so.

    ``severity`` is one of :data:`FINDING_SEVERITIES`; ``citations`` are FAQ entry ids of the
    loaded knowledge base; ``rule`` is the key of the :class:`~assistant.simulator.rules.Rule`
    the finding comes from; ``scope`` ``"user"`` or ``"org"``; ``advice`` what to do first;
    ``uses`` the lost uses the finding is about (from its ``lost`` conditions).
    """

    code: str
    severity: str
    message: str
    citations: list[str]
    rule: str = ""
    scope: str = "user"
    advice: str = ""
    uses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """``{"code": str, "severity": str, "message": str, "citations": [str], "rule": str}``."""
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "citations": list(self.citations), "rule": self.rule}


