"""The doc maintainers' loop: feedback -> suggested alternates and an eval file; gaps -> draft entries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant import cli
from assistant.coverage import analyze_coverage, find_gaps
from assistant.coverage.gaps import draft_entry
from assistant.evaluation import read_eval_csv
from assistant.feedback import FeedbackStore
from assistant.feedback_loop import MIN_ACCEPTS, alternates_changes, export_eval, suggest_alternates
from assistant.knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parents[1]
ROBOTS = "Can CI robots log in once SSO is on?"


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", folder)
    return folder


@pytest.fixture
def store(tmp_path, kb_copy):
    entries = list(KnowledgeBase.load(kb_copy))
    service, team, dns = entries[1], entries[0], entries[2]
    with FeedbackStore(tmp_path / "fb.sqlite3") as s:
        s.record(ROBOTS, service.id, "accepted")
        s.record("  can ci robots LOG IN once sso is on? ", service.id, "accepted")  # the same query
        s.record(ROBOTS, team.id, "dismissed")
        s.record("Do bots need tokens with SSO?", service.id, "accepted")  # once only: below N
        s.record("Is the TXT record needed?", dns.id, "accepted")
        s.record("Is the TXT record needed?", dns.id, "accepted")
        s.record("Is the TXT record needed?", dns.id, "dismissed")
        s.record("Is the TXT record needed?", dns.id, "dismissed")  # as often dismissed: not suggested
        s.record(service.question, service.id, "accepted")
        s.record(service.question, service.id, "accepted")  # already its question: not suggested
        s.record("Where is my invoice? Mail ana@example.com", team.id, "dismissed")
        s.record("Where is my invoice? Mail ana@example.com", dns.id, "dismissed")
        yield s


def test_queries_accepted_n_times_become_suggested_alternates(store, kb_copy):
    kb = KnowledgeBase.load(kb_copy)
    found = suggest_alternates(store, kb)
    assert MIN_ACCEPTS == 2
    assert found[["query", "question", "accepted", "dismissed"]].values.tolist() == [
        [ROBOTS, "How do service accounts work with SSO?", 2, 0]]
    assert len(suggest_alternates(store, kb, min_accepts=1)) == 2  # the one-time query too
    with pytest.raises(ValueError, match="min_accepts must be at least 1"):
        suggest_alternates(store, kb, min_accepts=0)


def test_suggestions_are_a_reviewable_change_written_only_on_request(store, kb_copy, capsys):
    db = str(store.path)
    page = kb_copy / "security" / "single-sign-on" / "enforcement-faqs.alternates.yaml"
    assert cli.main(["feedback", "suggest", "--kb", str(kb_copy), "--feedback-db", db]) == 0
    out = capsys.readouterr().out
    assert "1 suggested alternate question" in out and f'+  - "{ROBOTS}"' in out and "add --write" in out
    assert not page.exists()  # never applied silently
    assert cli.main(["feedback", "suggest", "--kb", str(kb_copy), "--feedback-db", db, "--write"]) == 0
    assert page.exists()
    kb = KnowledgeBase.load(kb_copy)
    assert ROBOTS in kb.find_question("How do service accounts work with SSO?").alternate_questions
    assert not [p for p in kb.problems if "alternates" in p.code]
    assert alternates_changes(suggest_alternates(store, kb), kb) == []  # nothing left to add


def test_a_question_already_in_the_alternates_file_gets_its_list_extended(store, kb_copy):
    page = kb_copy / "security" / "single-sign-on" / "enforcement-faqs.alternates.yaml"
    page.write_text('"How do service accounts work with SSO?":\n  - "Robot accounts and SSO?"\n', encoding="utf-8")
    kb = KnowledgeBase.load(kb_copy)
    [change] = alternates_changes(suggest_alternates(store, kb), kb)
    import yaml

    assert yaml.safe_load(change.new) == {"How do service accounts work with SSO?": ["Robot accounts and SSO?", ROBOTS]}


def test_export_writes_a_redacted_eval_file_that_eval_reads(store, kb_copy, tmp_path, capsys):
    out = tmp_path / "team-eval.csv"
    assert cli.main(["feedback", "export", "--kb", str(kb_copy), "--feedback-db", str(store.path),
                     "--eval", str(out)]) == 0
    assert f"wrote {out} (5 questions)" in capsys.readouterr().out
    questions = {q.query: q for q in read_eval_csv(out)}
    assert questions[ROBOTS].expected == ["How do service accounts work with SSO?"]
    assert questions[ROBOTS].kind == "feedback"
    invoice = questions["Where is my invoice? Mail [email]"]
    assert invoice.expected == [] and invoice.kind == "out_of_scope"
    assert "ana@example.com" not in out.read_text()
    assert export_eval(store, KnowledgeBase.load(kb_copy)) == out.read_text()
    assert cli.main(["eval", str(out), "--kb", str(kb_copy)]) == 0


def test_feedback_without_a_database_is_an_error(tmp_path, capsys):
    assert cli.main(["feedback", "suggest", "--feedback-db", str(tmp_path / "none.sqlite3")]) == 2
    assert "none.sqlite3: no feedback database" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists()


def test_each_gap_offers_a_draft_entry_from_its_most_central_ticket(retriever):
    tickets = ["Invoice PDF | Where do I download the invoice PDF for March?",
               "Invoice copy | Please resend the March invoice PDF",
               "Invoice VAT | Our invoice PDF shows the wrong VAT number", "Bananas are yellow"]
    report = analyze_coverage([t.replace(" | ", "\n\n") for t in tickets], retriever)
    [gap] = report.gaps
    assert gap.draft.startswith("### Where do I download the invoice PDF for March?\n\n<!-- Draft for the coverage gap")
    for example in gap.examples:
        assert f"  - {example}\n" in gap.draft
    assert report.to_dict()["gaps"][0]["draft"] == gap.draft
    assert '<td class="pre">### Where do I download the invoice PDF' in report.to_html()


def test_a_draft_cannot_add_markup_or_end_its_comment_early():
    hostile = "<script>alert(1)</script> --> <b>x</b>? And more?"
    draft = draft_entry("x / y", 2, hostile, [hostile])
    assert "<script>" not in draft and "<b>" not in draft
    assert draft.count("-->") == 1 and draft.rstrip().endswith("TODO: the answer.")
    labels, gaps = find_gaps(["Where is the ## heading? --> now", "Where is the ## heading? --> again"], min_size=2)
    assert gaps and gaps[0].draft.count("-->") == 1
