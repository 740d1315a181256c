"""Issue 15: rules as data (kb/simulator.yaml), the contradictions it fixes, --check, --explain, the what-if diff,
lint of rules files, and a second rules file (Docker's admin FAQs) on the generic engine."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from assistant import KnowledgeBase
from assistant.cli import main
from assistant.problems import InputFileError
from assistant.simulator import (Org, Simulator, User, check_rules_file, load_roster, load_rules, rules_markdown)
from assistant.simulator.docs import README_END, README_START

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "kb" / "simulator.yaml"
DOCKER_RULES = ROOT / "data" / "simulators" / "docker-admin.yaml"
ENFORCED = {"sso": "enforced", "verified_domains": ["example.com"]}


@pytest.fixture(scope="module")
def sim(kb) -> Simulator:
    return Simulator(kb)


# --- the contradictions of the issue, one test each ----------------------------------------------


def test_outside_domain_without_password_is_not_a_loss_sso_causes(sim):
    o = sim.simulate(ENFORCED, {"email": "x@gmail.com", "has_password": False, "uses": "web desktop"})
    assert o.unavailable_uses == ["web", "desktop"] and o.blocked_uses == [] and not o.loses_access
    result = sim.simulate_roster(ENFORCED, [User("x@gmail.com", has_password=False),
                                            User("ana@example.com", has_pat=True)])
    assert result.summary["ready"] is True and result.summary["losing_access"] == []


def test_user_without_password_is_not_told_to_use_a_password(sim):
    o = sim.simulate(ENFORCED, {"email": "x@gmail.com", "has_password": False})
    text = " ".join(o.sentences() + [f.message for f in o.findings])
    assert "username and password" not in text and "with their password" not in text
    assert "They cannot sign in on the web or in Desktop." in o.sentences()


def test_service_account_with_password_is_not_told_the_cli_stops(sim):
    o = sim.simulate(ENFORCED, {"email": "bot@example.com", "account": "service", "uses": "cli ci"})
    assert o.cli_sign_in == ["password"] and o.blocked_uses == []
    assert not any("stop" in f.message for f in o.findings), [f.message for f in o.findings]
    assert {f.code: f.severity for f in o.findings}["ci-needs-pat"] == "warning"
    assert "Everything they use keeps working (cli, ci)." in o.sentences()


def test_removed_user_cannot_authenticate_under_enforcement(sim):
    o = sim.simulate(ENFORCED, {"email": "ana@example.com", "removed": True, "has_pat": True, "uses": "web cli"})
    assert o.web_sign_in == [] and o.cli_sign_in == [] and o.blocked_uses == ["web", "cli"]
    assert o.loss_reasons["web"] and "removed-user" in o.loss_reasons["cli"]
    with pytest.raises(ValueError, match=r"^removed: a user removed from the organization is not a member"):
        User("ana@example.com", removed=True, member=True)


def test_roster_reads_removed_and_other_emails():
    roster = load_roster(text="email,removed,other_emails,other_orgs\nana@example.com,yes,ana@gmail.com;a@x.org,oss\n")
    assert roster.users[0][1] == User("ana@example.com", removed=True, other_emails=("ana@gmail.com", "a@x.org"),
                                      other_orgs=("oss",))


# --- --check and --explain ------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path / name)


def test_check_exit_codes(tmp_path, capsys):
    org = _write(tmp_path, "org.yaml", "sso: enforced\nverified_domains: [example.com]\n")
    bad_org = _write(tmp_path, "bad.yaml", "sso: maybe\n")
    ready = _write(tmp_path, "ready.csv", "email,has_pat,uses\nana@example.com,true,cli\n")
    not_ready = _write(tmp_path, "not.csv", "email,uses\nben@example.com,cli\n")
    assert main(["simulate", "--org", org, "--roster", ready, "--check"]) == 0
    assert main(["simulate", "--org", org, "--roster", not_ready, "--check"]) == 1
    assert main(["simulate", "--org", org, "--roster", not_ready]) == 0  # without --check: a report
    assert main(["simulate", "--org", bad_org, "--roster", ready, "--check"]) == 2
    current = _write(tmp_path, "current.yaml", "sso: enabled\nverified_domains: [example.com]\n")
    assert main(["simulate", "--org", current, "--proposed", org, "--roster", ready, "--check"]) == 0
    assert main(["simulate", "--org", current, "--proposed", org, "--roster", not_ready, "--check"]) == 1
    assert main(["simulate", "--proposed", org, "--roster", ready]) == 2
    assert "--proposed needs --org" in capsys.readouterr().err


def test_explain_lists_every_rule_with_the_first_failing_condition(sim, capsys):
    assert main(["simulate", "--sso", "enforced", "--verified-domain", "example.com", "--email", "ana@gmail.com",
                 "--explain"]) == 0
    out = capsys.readouterr().out.split("Rules (sso-enforcement) for ana@gmail.com:\n")[1].split("\n")
    ids = [re.match(r"  [+-] ([\w-]+):", line).group(1) for line in out if re.match(r"  [+-] ", line)]
    assert ids == [r.id for r in sim.rules_.rules]
    assert "  + other-domain: applied -> enforcement-not-applicable" in out
    assert "  - sso-credentials: not applied: sso_applies = true (is false) does not hold" in out
    assert "  - business-plan: not applied: org.plan not business (is business) does not hold" in out
    assert main(["simulate", "--sso", "enforced", "--verified-domain", "example.com", "--email", "a@example.com",
                 "--explain", "--json"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    assert rules[0] == {"rule": "password-sign-in", "applied": True, "failed": None, "not_holding": [],
                        "findings": []}
    test_org = next(r for r in rules if r["rule"] == "test-org")
    assert test_org["not_holding"] == ["org.test_org = true (is false)"]  # org.sso = enforced holds
    removed = next(r for r in rules if r["rule"] == "removed-user")
    assert removed["failed"] == "user.removed = true (is false)" and removed["not_holding"] == [removed["failed"]]


# --- the what-if diff -----------------------------------------------------------------------------


def test_what_if_diff_text_csv_json(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    args = ["simulate", "--org", "data/org-current.yaml", "--proposed", "data/org-example.yaml", "--roster",
            "data/roster-example.csv"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.split("\n")[2:6] == [
        "  - 1 user loses cli: create PATs first (cli-needs-pat)",
        "  - 1 user loses web, desktop: add their emails to the identity provider first (not-in-idp)",
        "  - 1 user loses web, cli: re-invite them or keep them removed on purpose (removed-cannot-authenticate)",
        "Ready: no (3 users would lose access; 1 invalid row not simulated (fix and run again)).",
    ]
    assert re.search(r"ben@example.com +sso; password -> sso +password -> - +cli +cli-needs-pat", out)
    assert main([*args, "--format", "csv"]) == 0
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["ben@example.com"]["stops_working"] == "cli" and rows["ben@example.com"]["reasons"] == "cli-needs-pat"
    assert rows["ana@example.com"]["stops_working"] == "" and rows["ana@example.com"]["web_after"] == "sso"
    assert main([*args, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert list(d) == ["current", "proposed", "summary", "users"]
    assert d["current"]["sso"] == "enabled" and d["proposed"]["sso"] == "enforced"
    assert d["summary"]["losing_access"] == 3 and d["summary"]["losing_by_use"] == {"cli": 2, "desktop": 1, "web": 2}
    cara = next(u for u in d["users"] if u.get("email") == "cara@example.com")
    assert cara["stops_working"] == ["web", "desktop"] and cara["new_blockers"] == ["not-in-idp"]


def test_diff_advice_counts_users_per_blocker(sim):
    roster = [User(f"u{i}@example.com", uses="cli") for i in range(42)] + [User("ok@example.com", has_pat=True)]
    diff = sim.diff({**ENFORCED, "sso": "enabled"}, ENFORCED, roster)
    assert diff.summary["advice"] == ["42 users lose cli: create PATs first (cli-needs-pat)"]
    assert diff.summary["losing_access"] == 42 and diff.summary["ready"] is False
    mixed = sim.diff({**ENFORCED, "sso": "enabled"}, ENFORCED, [User("a@example.com", uses="cli ci"),
                                                                 User("b@example.com", uses="ci")])
    assert mixed.summary["advice"] == ["2 users lose ci: create PATs for automation first (ci-needs-pat)",
                                       "1 user loses cli: create PATs first (cli-needs-pat)"]
    same = sim.diff(ENFORCED, ENFORCED, roster)
    assert same.summary["changed"] == 0 and same.summary["ready"] is True


# --- rules files: loading, lint, the README -------------------------------------------------------


def test_bundled_rules_file_is_clean_and_typed_inputs_agree(kb):
    assert check_rules_file(RULES, kb) == []
    rs = load_rules(RULES)
    assert list(rs.org_fields) == list(Org.__dataclass_fields__)
    assert list(rs.user_fields) == list(User.__dataclass_fields__)
    for name, spec in rs.org_fields.items():
        if spec["type"] == "choice":
            assert tuple(spec["choices"]) == getattr(__import__("assistant.simulator.model", fromlist=["x"]),
                                                     {"plan": "PLANS", "sso": "SSO_MODES"}[name])


def test_knowledge_base_and_lint_do_not_treat_the_rules_file_as_a_page(kb):
    assert all(not e.source.endswith(".yaml") for e in kb)
    assert not [p for p in kb.problems if "simulator" in (p.file or "")]


def test_readme_rule_list_is_generated_from_the_rules_file():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert README_START in readme and README_END in readme
    shown = readme.split(README_START, 1)[1].split(README_END, 1)[0].strip()
    assert shown == rules_markdown(load_rules(RULES)), (
        "README rule list is stale: regenerate it with python -c \"from assistant.simulator import rules_markdown, "
        "load_rules; print(rules_markdown(load_rules('kb/simulator.yaml')))\"")


def _lint_kb(tmp_path: Path, edit) -> list:
    folder = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", folder)
    path = folder / "simulator.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return check_rules_file(path, KnowledgeBase.load(folder))


@pytest.mark.parametrize("edit, code, severity, message", [
    (lambda t: t.replace("uses_field: uses", "uses_field: uses\ncolour: red"), "rules-unknown-key", "error",
     r"unknown key 'colour'"),
    (lambda t: t.replace("when: [{user.has_pat: true}]", "when: [{user.has_token: true}]"), "rules-unknown-field",
     "error", r"rule pat-sign-in: when: unknown subject 'user.has_token'"),
    (lambda t: t.replace("cites: [is-dns-verification-required-to-enable-sso]", "cites: [dns-please]"),
     "rules-anchor-missing", "error", r"rule verified-domain: cites #dns-please, but no FAQ entry has that anchor"),
    (lambda t: t.replace("when: [{org.test_org: true}, {org.sso: enforced}]",
                         "when: [{org.test_org: true}, {org.test_org: false}]"), "rules-never-apply", "warning",
     r"rule test-org: when: can never apply: org.test_org cannot be both True and False"),
    (lambda t: t.replace("{org.plan: {not: business}}]\n    findings", "{org.plan: {not: gold}}]\n    findings"),
     "rules-unknown-value", "error", r"org.plan is never 'gold'"),
    (lambda t: t.replace("when: [{sso_applies: true}, {org.sso: enforced}]\n    effect: {set: {sso_enforced_for_user",
                         "when: [{auto_added_to_org: true}, {org.sso: enforced}]\n    effect: {set: {sso_enforced_for_user"),
     "rules-never-apply", "warning", r"no rule \(before this one\) makes auto_added_to_org true"),
    (lambda t: t.replace("message: \"This is a test organization", "message: \"{org.colour} This is a test organization"),
     "rules-unknown-field", "error", r"unknown placeholder \{org.colour\}"),
])
def test_lint_checks_rules_files(tmp_path, edit, code, severity, message):
    problems = _lint_kb(tmp_path, edit)
    hits = [p for p in problems if p.code == code]
    assert hits, problems
    assert hits[0].severity == severity and re.search(message, hits[0].message), hits[0]
    assert hits[0].file.endswith("simulator.yaml")


def test_lint_command_reports_rules_file_problems(tmp_path, capsys):
    folder = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", folder)
    rules = folder / "simulator.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("how-do-service-accounts-work-with-sso]",
                                                               "how-do-service-accounts-work]"), encoding="utf-8")
    assert main(["lint", str(folder)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"simulator.yaml:\d+: error: rule cli-needs-pat: cites #how-do-service-accounts-work, but no "
                     r"FAQ entry has that anchor \[rules-anchor-missing\]", out), out


def test_a_typo_fixed_in_a_question_keeps_the_citation(tmp_path):
    folder = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", folder)
    page = folder / "security" / "single-sign-on" / "enforcement-faqs.md"
    page.write_text(page.read_text(encoding="utf-8").replace("We currently have a iEchor Team subscription",
                                                             "We currently have an iEchor Team subscription"),
                    encoding="utf-8")
    kb = KnowledgeBase.load(folder)
    sim = Simulator(kb)
    assert sim.missing_["business-plan"] == []
    assert sim.citations_["business-plan"][0].endswith("#we-currently-have-an-iechor-team-subscription-how-do-we-enable-sso")
    problems = check_rules_file(folder / "simulator.yaml", kb)
    assert [p.code for p in problems] == ["rules-anchor-changed"] * 2 and all(p.severity == "warning" for p in problems)


def test_rules_file_with_control_characters_is_refused(tmp_path):
    path = tmp_path / "simulator.yaml"
    path.write_text(RULES.read_text(encoding="utf-8").replace("SSO is off for this organization.",
                                                              "SSO is off\x1b[2J for this organization."),
                    encoding="utf-8")
    with pytest.raises(InputFileError, match=r"control character '\\x1b'") as info:
        load_rules(path)
    assert info.value.line is not None and info.value.line > 1
    assert [p.code for p in check_rules_file(path)] == ["rules-invalid"]


def test_unusable_rules_file_names_file_and_line(tmp_path):
    path = tmp_path / "simulator.yaml"
    path.write_text("simulator: x\nrules:\n  - id: a\n    explain: b\n    when: [{nothing.here: 1}]\n"
                    "    findings: [{code: c, severity: info, message: m}]\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"unknown subject 'nothing.here'") as info:
        load_rules(path)
    assert info.value.file.endswith("simulator.yaml") and info.value.line == 3


# --- a second rules file for another FAQ: the engine is not SSO-specific --------------------------


@pytest.fixture(scope="module")
def docker(shared_dir):
    kb = KnowledgeBase.load(shared_dir / "corpus" / "docker-docs" / "content" / "manuals" / "admin" / "faqs")
    return kb, Simulator(kb, rules=DOCKER_RULES)


def test_docker_rules_file_is_clean_against_its_faq(docker):
    kb, _ = docker
    assert check_rules_file(DOCKER_RULES, kb) == []
    for e in kb:  # it cites entries by anchor and copies no answer
        assert e.answer_text[:60] not in DOCKER_RULES.read_text(encoding="utf-8")


@pytest.mark.parametrize("org, user, facts, findings", [
    ({"seats": 5, "seats_used": 2}, {"email": "a@acme.com", "role": "invitee"}, {"takes_seat": True},
     {"invitee-takes-seat": "info"}),
    ({"seats": 5, "seats_used": 5}, {"email": "a@acme.com", "role": "owner"}, {"takes_seat": True},
     {"no-seat-left": "warning"}),
    ({"in_company": True, "plan": "business"}, {"email": "a@acme.com", "role": "company-owner"},
     {"takes_seat": False, "manages_through_company": True}, {"company-owner-no-seat": "info"}),
    ({"in_company": True, "plan": "business", "seats": 1, "seats_used": 1},
     {"email": "a@acme.com", "role": "company-owner", "org_member": True}, {"takes_seat": True},
     {"company-owner-member-seat": "info", "no-seat-left": "warning"}),
    ({"sso": "enabled", "verified_domains": "acme.com"}, {"email": "a@gmail.com", "other_orgs": "ops"},
     {"needs_domain_docker_id": True}, {"personal-email": "warning", "seat-in-each-org": "info"}),
    ({"in_company": True, "plan": "team", "company_owners": 11}, {"email": "a@acme.com"}, {},
     {"company-needs-business": "warning", "too-many-company-owners": "warning"}),
])
def test_docker_rules(docker, org, user, facts, findings):
    kb, sim = docker
    o = sim.simulate(org, user)
    for name, value in facts.items():
        assert o.facts[name] == value, name
    got = {f.code: f.severity for f in o.findings}
    assert {k: got.get(k) for k in findings} == findings, got
    assert all(f.citations and all(c in kb for c in f.citations) for f in o.findings)
    assert o.blocked_uses == [] and "Uses that stop working" not in o.to_text(kb)
    assert o.sentences()[0].startswith("a@")


def test_docker_rules_reject_unknown_fields_and_values(docker):
    _, sim = docker
    with pytest.raises(ValueError, match=r"^role: unknown value 'boss'"):
        sim.simulate({}, {"email": "a@acme.com", "role": "boss"})
    with pytest.raises(ValueError, match=r"^unknown org field 'colour'"):
        sim.simulate({"colour": "red"}, {"email": "a@acme.com"})
    with pytest.raises(ValueError, match=r"^seats: expected a whole number"):
        sim.simulate({"seats": "many"}, {"email": "a@acme.com"})
