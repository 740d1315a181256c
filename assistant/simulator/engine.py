"""The simulator's engine: :class:`Simulator` applies :data:`~assistant.simulator.rules.RULES` to an org and a user.

What "works" means: ``web_sign_in`` (web and Desktop) and ``cli_sign_in`` (CLI, API, CI) list
only the sign-in methods that the FAQ agrees keep working for the user. Where two entries
disagree (rule 9 against rule 5, about a service account's password under enforcement) the
simulator follows the more specific entry (rule 9: an existing password keeps working for a
service account), lowers the rule 5/6 "needs a PAT" findings for that account from blocker to
warning, and a ``faq-conflict`` finding names the disagreement and cites both sides. When the
knowledge base lacks a cited question, the rule still applies and a ``faq-entry-missing``
finding says its finding is not backed by this knowledge base.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from ..knowledge_base import KnowledgeBase
from .inputs import Roster, parse_org, parse_user
from .model import USES, WEB_USES, Finding, Org, Outcome, User
from .roster import RosterResult
from .rules import RULES_BY_KEY, resolve_citations

__all__ = ["Simulator"]


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
                    r = RULES_BY_KEY[key]
                    self._missing_items.append(Finding(
                        "faq-entry-missing", "warning",
                        f"The knowledge base has no FAQ entry with the question “{question}”, which rule "
                        f"'{key}' ({r.summary}) comes from: the finding '{code}' is not backed by this knowledge "
                        "base. Check the FAQ before relying on it.", [], key))
        self.items.append(Finding(code, severity, message, ids, keys[0]))

    def all(self) -> list[Finding]:
        return self.items + self._missing_items


class Simulator:
    """Apply :data:`~assistant.simulator.rules.RULES` to an organization and its users, citing the knowledge base.

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

        Raises
        ------
        FaqAssistantError
            A ``ValueError`` naming the field of a mapping with an unknown key or an invalid value
            (:class:`~assistant.problems.InputFileError` ``"org: ..."`` for the org).
        """
        org = org if isinstance(org, Org) else parse_org(org)
        user = user if isinstance(user, User) else parse_user(user)
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

    def simulate_roster(self, org: Org | Mapping[str, Any], roster: Roster | Iterable[User]) -> RosterResult:
        """Simulate every user of a roster; invalid roster rows are kept as problems, not dropped.

        Parameters
        ----------
        org : Org or mapping
        roster : Roster or iterable of User
            From :func:`~assistant.simulator.inputs.load_roster` (keeps file lines and invalid
            rows), or users (numbered from 1 as their lines).

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
