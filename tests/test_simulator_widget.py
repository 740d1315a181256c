"""The org simulator widget, driven without a browser: set values, click, read what it shows."""

from __future__ import annotations


import ipywidgets as widgets
import pytest
from html_checks import assert_inert
import traitlets

from assistant import KnowledgeBase
from assistant.simulator import Org, Simulator, User
from assistant.widgets import OrgSimulatorView, build_simulator

DNS = "Is DNS verification required to enable SSO?"


@pytest.fixture
def view(kb):
    v = OrgSimulatorView(Simulator(kb))
    yield v
    assert v.errors == [], "a simulator callback raised"


def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)


def _html(w) -> str:
    return "".join(x.value for x in _walk(w) if isinstance(x, widgets.HTML))


def _enforce(view, email="ana@example.com"):
    view.domains.value = "example.com"
    view.sso.value = "enforced"
    view.email.value = email


def test_starts_by_asking_for_an_email(view):
    assert view.outcome is None
    assert "email: required" in view.status.value and 'role="alert"' in view.status.value
    assert view.findings_box.children == ()


def test_changing_inputs_simulates(view):
    _enforce(view)
    view.uses["cli"].value = True
    o = view.outcome
    assert o is not None and o.sso_enforced_for_user and o.blocked_uses == ["cli"]
    assert "Simulated ana@example.com: 1 blocker, 0 warnings, 4 notes. Loses access to: cli." in view.status.value
    assert "<li>SSO is enforced for ana@example.com (example.com is a verified domain).</li>" in view.words.value
    assert '<th scope="row">CLI, API and CI sign-in</th><td>nothing works</td>' in view.table.value
    assert [v.finding.code for v in view.finding_views] == [
        "sso-required", "cli-needs-pat", "auto-added", "account-migrates", "desktop-sign-in-separate"]
    assert "Blocker" in view.finding_views[1].header.value
    view.has_pat.value = True
    assert view.outcome.cli_sign_in == ["pat"] and "Keeps access to everything they use." in view.status.value


def test_every_input_toggle_reaches_the_simulation(view):
    _enforce(view, "build@example.com")
    view.account.value = "service"
    view.has_password.value = False
    view.in_idp.value = False
    view.member.value = True
    view.uses["desktop"].value = False
    view.uses["ci"].value = True
    view.signin_enforced.value = True
    view.test_org.value = True
    view.plan.value = "business"
    assert view.outcome.user == User("build@example.com", "service", False, False, False, True, ("ci",))
    assert view.outcome.org == Org("business", ("example.com",), "enforced", True, True)
    codes = {v.finding.code for v in view.finding_views}
    assert {"service-account-not-in-idp", "ci-needs-pat", "test-org-enforced", "desktop-sign-in-enforced"} <= codes
    view.plan.value = "team"
    assert not view.outcome.sso_active and "sso-needs-business" in {v.finding.code for v in view.finding_views}


def test_simulate_button(view):
    view.email.value = "ana@example.com"
    first = view.outcome
    view.simulate_button.click()
    assert view.outcome is not first and view.outcome.to_dict() == first.to_dict()
    assert view.simulate_button.description == "Simulate"


@pytest.mark.parametrize("widget, value, message", [
    ("email", "bob", "email: &#x27;bob&#x27; is not an email address"),
    ("email", "<img src=x onerror=alert(1)>@example.com", "email: &#x27;&lt;img src=x onerror=alert(1)&gt;@example.com&#x27;"),
    ("domains", "not a domain", "verified_domains: &#x27;not&#x27; is not a domain name"),
])
def test_invalid_input_is_a_clear_status(view, widget, value, message):
    _enforce(view)
    assert view.finding_views
    getattr(view, widget).value = value
    assert view.outcome is None and view.input_error
    assert "Cannot simulate:" in view.status.value and message in view.status.value, view.status.value
    assert 'role="alert"' in view.status.value
    assert view.words.value == "" and view.table.value == "" and view.findings_box.children == ()
    assert_inert(view.status.value)


def test_unknown_plan_cannot_be_picked(view):
    assert [v for _, v in view.plan.options] == ["personal", "pro", "team", "business"]
    with pytest.raises(traitlets.TraitError):
        view.plan.value = "gold"


def test_citation_button_shows_the_faq_answer(view):
    view.sso.value = "enforced"  # no verified domain -> a blocker citing the DNS entry
    view.email.value = "ana@example.com"
    fv = next(v for v in view.finding_views if v.finding.code == "sso-needs-verified-domain")
    button, answer = fv.buttons[0], fv.answers[0]
    assert button.description == f"Show the FAQ answer: {DNS}" and button.tooltip == DNS
    assert answer.layout.display == "none"
    button.click()
    assert answer.layout.display is None and button.description.startswith("Hide the FAQ answer")
    assert "<p>Yes. You must verify a domain before using it with an SSO connection.</p>" in answer.value
    assert "security/single-sign-on/enforcement-faqs.md:19" in answer.value
    button.click()
    assert answer.layout.display == "none" and button.description.startswith("Show")


def test_faq_conflict_shows_both_answers(view):
    _enforce(view, "build@example.com")
    view.account.value = "service"
    fv = next(v for v in view.finding_views if v.finding.code == "faq-conflict")
    assert len(fv.buttons) == 3
    for b in fv.buttons:
        b.click()
    shown = "".join(a.value for a in fv.answers)
    assert "Username/password and personal access token will still work" in shown
    assert "it needs a PAT for CLI and API usage" in shown


def test_accessible_labels(view):
    _enforce(view)
    for w in _walk(view.widget):
        if isinstance(w, widgets.Button):
            assert w.description.strip(), w
        elif isinstance(w, (widgets.Text, widgets.Checkbox, widgets.Dropdown, widgets.ToggleButtons)):
            assert w.description.strip(), w
    assert all(box.description.startswith("Uses ") for box in view.uses.values())


def test_hostile_faq_answer_is_rendered_inert(tmp_path):
    (tmp_path / "faq.md").write_text(
        f"### {DNS}\n\n<script>alert('x')</script> Yes [click](javascript:alert(1)) "
        "<img src=x onerror=alert(1)> [docs](https://example.com/dns)\n", encoding="utf-8")
    v = OrgSimulatorView(Simulator(KnowledgeBase.load(tmp_path)), user=User("ana@example.com"),
                         org=Org(plan="team", sso="enforced"))
    fv = next(f for f in v.finding_views if f.finding.code == "sso-needs-verified-domain")
    fv.buttons[0].click()
    html = fv.answers[0].value
    assert_inert(html)
    assert "&lt;script&gt;" in html and 'href="https://example.com/dns"' in html
    missing = [f for f in v.finding_views if f.finding.code == "faq-entry-missing"]
    assert missing and "No FAQ entry to cite." in _html(missing[0].box)
    assert_inert(_html(v.widget).replace("<style>", "").replace("</style>", ""))
    assert v.errors == []


def test_callback_exceptions_are_shown_not_swallowed(kb, monkeypatch):
    v = OrgSimulatorView(Simulator(kb))

    def boom(*_a, **_k):
        raise RuntimeError("rule engine <broke>")

    monkeypatch.setattr(v.simulator, "simulate", boom)
    v.email.value = "ana@example.com"
    assert v.errors == ["_on_change: RuntimeError: rule engine <broke>"]
    assert v.error_area.layout.display is None
    assert 'role="alert"' in v.error_area.value and "rule engine &lt;broke&gt;" in v.error_area.value
    v.simulate_button.click()
    assert v.errors[-1] == "_on_click: RuntimeError: rule engine <broke>"


def test_build_simulator_reads_the_environment(tmp_path, monkeypatch):
    (tmp_path / "faq.md").write_text(f"### {DNS}\n\nYes.\n", encoding="utf-8")
    monkeypatch.setenv("FAQ_ASSISTANT_KB", str(tmp_path))
    monkeypatch.setenv("FAQ_ASSISTANT_SITE_URL", "https://docs.example.com/")
    v = build_simulator(email="ana@example.com")
    assert len(v.simulator.kb) == 1 and v.outcome is not None and v.errors == []
    assert v.site_url == "https://docs.example.com/"
    assert build_simulator(tmp_path, site_url="https://other.example.com/").site_url == "https://other.example.com/"
    assert v._repr_mimebundle_()["application/vnd.jupyter.widget-view+json"]["model_id"] == v.widget.model_id


# --- the what-if view (issue 15) ------------------------------------------------------------------


def test_rollout_view_filters_and_downloads(kb):
    import base64
    import datetime
    import re as _re

    from assistant.simulator import Simulator
    from assistant.widgets import RolloutView

    roster = ("email,has_pat,uses\nana@example.com,true,cli\nben@example.com,false,cli\n"
              "<b>x</b>@example.com,false,desktop\ncara@example.com,false,desktop\n")
    view = RolloutView(Simulator(kb), roster=roster)
    assert view.errors == [] and view.diff is not None
    assert view.diff.summary["losing_access"] == 1
    view.show.value = "losing"
    assert list(view.shown["email"]) == ["ben@example.com"]
    view.show.value = "all"
    assert len(view.shown) == 4
    view.email_filter.value = "CARA"
    assert list(view.shown["email"]) == ["cara@example.com"] and "1 of 4 roster rows" in view.table.value
    # the invalid email is escaped, never markup
    view.email_filter.value = ""
    assert "<b>x</b>" not in view.table.value and "&lt;b&gt;x&lt;/b&gt;@example.com" in view.table.value
    data = _re.search(r'href="data:text/csv;base64,([^"]+)"', view.download.value).group(1)
    assert base64.b64decode(data).decode("utf-8") == view.diff.to_csv()
    view.proposed.value = "sso: maybe\n"
    assert view.diff is None and "sso: unknown sso setting" in view.status.value and view.errors == []
    view.proposed.value = "sso: enforced\nverified_domains: [example.com]\n"
    view.upload.value = ({"name": "u.csv", "type": "text/csv", "size": 30,
                          "content": memoryview(b"email,uses\nzed@example.com,cli\n"),
                          "last_modified": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)},)
    assert view.errors == [] and list(view.diff.frame["email"]) == ["zed@example.com"]


def test_removed_checkbox_reaches_the_user(kb):
    from assistant.simulator import Simulator
    from assistant.widgets import OrgSimulatorView

    view = OrgSimulatorView(Simulator(kb))
    view.sso.value = "enforced"
    view.domains.value = "example.com"
    view.email.value = "ana@example.com"
    view.removed.value = True
    assert view.outcome.user.removed and view.outcome.blocked_uses == ["desktop"]
    view.member.value = True
    assert view.outcome is None and "removed: a user removed from the organization" in view.status.value
    assert view.errors == []


def test_status_does_not_promise_access_that_never_worked(kb):
    from assistant.simulator import Simulator
    from assistant.widgets import OrgSimulatorView

    view = OrgSimulatorView(Simulator(kb))
    view.email.value = "x@gmail.com"
    view.has_password.value = False
    assert view.outcome.blocked_uses == [] and view.outcome.unavailable_uses == ["desktop"]
    assert "Keeps access" not in view.status.value
    assert "Loses nothing; not working with or without these settings: desktop." in view.status.value


# --- the saved index (issue 12): citations from the index the CLI and the console use --------------


def test_simulator_and_rollout_read_the_saved_index_and_follow_a_changed_page(tmp_path, monkeypatch):
    from assistant import TfidfRetriever
    from assistant.index import load_index
    from assistant.widgets import build_rollout

    root, idx = tmp_path / "kb", tmp_path / "idx"
    root.mkdir()
    (root / "faq.md").write_text("### How do I rotate a token?\n\nIn settings.\n", encoding="utf-8")
    load_index(root, idx)

    def refuse(*_args, **_kwargs):
        raise AssertionError("parsed or fitted although the saved index is fresh")

    with monkeypatch.context() as m:
        m.setattr(KnowledgeBase, "load", refuse)
        m.setattr(TfidfRetriever, "fit", refuse)
        rollout = build_rollout(root, index_dir=idx)
        view = build_simulator(root, index_dir=idx, email="ana@example.com")
    for sim in (rollout.simulator, view.simulator):
        assert sim.citations_["verified-domain"] == [] and sim.missing_["verified-domain"]
    assert rollout.errors == [] and view.errors == []
    (root / "faq.md").write_text(f"### How do I rotate a token?\n\nIn settings.\n\n### {DNS}\n\nYes.\n", encoding="utf-8")
    for sim in (build_rollout(root, index_dir=idx).simulator, build_simulator(root, index_dir=idx).simulator):
        assert sim.citations_["verified-domain"] == ["faq#is-dns-verification-required-to-enable-sso"]
    assert load_index(root, idx)[2].status == "loaded"


def test_a_folder_without_entries_still_simulates(tmp_path):
    from assistant.widgets import build_rollout

    (tmp_path / "faq.md").write_text("Just prose, no question headings.\n", encoding="utf-8")
    view = build_rollout(tmp_path, index_dir=tmp_path / "idx")
    assert len(view.simulator.kb) == 0 and view.errors == []
    assert all(not ids for ids in view.simulator.citations_.values())
