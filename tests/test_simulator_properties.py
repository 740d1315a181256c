"""Property tests (hypothesis): an outcome's words, fields and findings never contradict each other.

Generated orgs and users (and rosters) over the SSO rules of ``kb/simulator.yaml``. Each test
failed on the simulator before issue 15 (users without a password told they sign in with it,
service accounts told "the CLI stops working" while their fields said it works, blockers with
nothing lost, losses counted that SSO does not cause).
"""

from __future__ import annotations

import functools
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import KnowledgeBase
from assistant.simulator import Org, Simulator, User

DOMAINS = ["example.com", "example.org", "gmail.com"]
USES = ["web", "desktop", "cli", "api", "ci"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.lru_cache(maxsize=1)
def _sim() -> Simulator:
    return Simulator(KnowledgeBase.load())


orgs = st.builds(
    Org, plan=st.sampled_from(["personal", "pro", "team", "business", "business"]),
    verified_domains=st.lists(st.sampled_from(DOMAINS[:2]), max_size=2),
    sso=st.sampled_from(["off", "enabled", "enforced", "enforced"]), signin_enforced=st.booleans(),
    test_org=st.booleans())


@st.composite
def users(draw, local: str = "u"):
    removed = draw(st.booleans())
    return User(
        email=f"{local}@{draw(st.sampled_from(DOMAINS))}", account=draw(st.sampled_from(["human", "service"])),
        has_password=draw(st.booleans()), has_pat=draw(st.booleans()), in_idp=draw(st.booleans()),
        member=False if removed else draw(st.booleans()), removed=removed,
        uses=draw(st.lists(st.sampled_from(USES), max_size=5)),
        other_emails=draw(st.lists(st.sampled_from([f"{local}.x@{d}" for d in DOMAINS]), max_size=2)))


def _texts(outcome) -> list[str]:
    return outcome.sentences() + [f.message for f in outcome.findings]


@SETTINGS
@given(orgs, users())
def test_every_loss_has_a_reason_citing_the_faq(org, user):
    sim = _sim()
    o = sim.simulate(org, user)
    assert set(o.loss_reasons) == set(o.blocked_uses)
    for use in o.blocked_uses:
        assert o.loss_reasons[use], use
        for rule in o.loss_reasons[use]:
            assert sim.citations_[rule], f"loss of {use} blamed on rule {rule}, which cites no FAQ entry"
            assert all(i in sim.kb for i in sim.citations_[rule])
    # and a finding says so: every lost use has a blocker
    if o.blocked_uses:
        assert any(f.severity == "blocker" for f in o.user_findings)


_PASSWORD_PROMISES = re.compile(
    r"username and password as usual|existing password|password (still )?works|password is listed as working|"
    r"their iEchor ID password|with (their )?(username and )?password|keep its existing password", re.I)
_PAT_PROMISES = re.compile(r"existing token|its token|their personal access token keeps", re.I)


@SETTINGS
@given(orgs, users())
def test_no_sentence_promises_a_credential_the_user_does_not_have(org, user):
    o = _sim().simulate(org, user)
    words = o.ruleset.words
    for text in _texts(o):
        if not user.has_password:
            assert not _PASSWORD_PROMISES.search(text), text
        if not user.has_pat:
            assert not _PAT_PROMISES.search(text), text
        listing = re.search(r"(?:signs? in on the web and in Desktop with|accept|may sign in with) (.*)", text)
        for method in ("password", "pat"):
            if listing and method not in o.web_sign_in + o.cli_sign_in:
                assert words[method] not in listing.group(1), (method, text)
    # the fields themselves: a method listed as working is one the user has
    assert "password" not in o.web_sign_in + o.cli_sign_in or user.has_password
    assert "pat" not in o.cli_sign_in or user.has_pat
    assert "sso" not in o.web_sign_in or (user.in_idp and o.sso_applies)


@SETTINGS
@given(orgs, users())
def test_severity_agrees_with_the_fields(org, user):
    o = _sim().simulate(org, user)
    blockers = [f for f in o.user_findings if f.severity == "blocker"]
    assert bool(blockers) == o.loses_access == bool(o.blocked_uses)
    for f in o.findings:
        if re.search(r"\bstops? working\b", f.message):
            assert f.severity == "blocker" and o.blocked_uses, f
    if any("Everything they use keeps working" in s for s in o.sentences()):
        assert not o.unavailable_uses
    for use in o.blocked_uses:
        channel = o.web_sign_in if use in ("web", "desktop") else o.cli_sign_in
        assert not channel or use == "desktop", (use, channel)
    # a loss is caused by the settings: the same user with SSO off and Desktop sign-in not enforced has the use
    baseline = _sim().simulate(Org(org.plan, org.verified_domains, "off", False, org.test_org), user)
    assert not set(o.blocked_uses) & set(baseline.unavailable_uses)
    assert baseline.blocked_uses == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orgs, st.lists(st.integers(0, 10**6), min_size=1, max_size=12, unique=True).flatmap(
    lambda ids: st.tuples(*[users(local=f"u{i}") for i in ids])))
def test_roster_summary_counts_only_losses_the_settings_cause(org, roster):
    sim = _sim()
    result = sim.simulate_roster(org, list(roster))
    s = result.summary
    losing = {u["email"] for u in s["losing_access"]}
    assert losing == {o.email for _, o in result.outcomes if o.blocked_uses}
    # the what-if from the baseline org to this org finds exactly these losses, use by use
    diff = sim.diff(Org(org.plan, org.verified_domains, "off", False, org.test_org), org, list(roster))
    stops = {row["email"]: row["stops_working"] for row in diff.frame.to_dict("records") if row["stops_working"]}
    assert stops == {o.email: o.blocked_uses for _, o in result.outcomes if o.blocked_uses}
    assert diff.summary["losing_access"] == len(losing)
    if losing or not s["sso_active"]:
        assert s["ready"] is False
    else:
        assert s["ready"] is True
