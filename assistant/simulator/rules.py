"""The simulator's rules as data, and where each rule's FAQ questions are in a knowledge base.

Each :class:`Rule` names the exact FAQ questions it comes from; :func:`resolve_citations` looks
them up in a :class:`~assistant.knowledge_base.KnowledgeBase` (by question text, so a rule keeps
its citations when an entry moves to another file) and says which ones the knowledge base lacks.
The engine (:mod:`.engine`) applies :data:`RULES` in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..knowledge_base import KnowledgeBase

__all__ = ["Rule", "RULES", "RULES_BY_KEY", "resolve_citations"]


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
#: Rule key -> :class:`Rule`.
RULES_BY_KEY: dict[str, Rule] = {r.key: r for r in RULES}


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
