"""Hostile and broken input across the CLI (issue 17): control sequences, file names that are not
UTF-8, unreadable knowledge bases, FIFOs, deep nesting, personal data in eval output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import cli
from assistant.rendering import terminal_safe

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b"
# Set the window title, write the clipboard, colour text, the 8-bit CSI, a DCS string, a bell, a bidi override.
HOSTILE = (f"{ESC}]0;pwned{ESC}\\", f"{ESC}]52;c;ZXZpbA=={chr(7)}", f"{ESC}[31m", "\x9b2J", f"{ESC}Pq#0{ESC}\\",
           chr(7), "\u202e")


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_no_controls(text: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c not in "\n\t") or 0x7f <= ord(c) <= 0x9f or c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
    assert not bad, f"control characters {sorted(set(bad))!r} in output: {text[:500]!r}"


@pytest.mark.parametrize("text, expected", [
    ("plain é 中文 text", "plain é 中文 text"),
    (f"a{ESC}[31mred{ESC}[0m b", "ared b"),
    (f"x{ESC}]0;pwned{chr(7)}y", "xy"),
    (f"x{ESC}]52;c;ZXZpbA=={ESC}\\y", "xy"),
    ("a\x9b31mb\x9d0;t\x9cc", "abc"),
    (f"{ESC}Pdcs{ESC}\\ok", "ok"),
    ("tab\tnl\nbell\x07 nul\x00 crlf\r\n del\x7f cr\rx", "tab\tnl\nbell nul crlf\n del crx"),
    ("bidi\u202eevil\u2066", "bidievil"),
    ("name caf\udce9.md", "name caf\ufffd.md"),
    (f"unterminated{ESC}]0;title", "unterminated"),
    (None, ""),
])
def test_terminal_safe_strips_escape_sequences_and_controls(text, expected):
    assert terminal_safe(text) == expected


@pytest.fixture
def hostile_kb(tmp_path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    c = "".join(HOSTILE)
    (kb / "faq.md").write_text(
        f"---\ntitle: Hostile {c}\ndescription: d\n---\n\n"
        f"## How do I reset my {c}password?\n\nClick {c} reset in the settings. See [docs{c}](https://example.com).\n\n"
        f"## How do I delete my account?\n\nWrite to support {c} and we delete it, see [old](gone{c}.md).\n", encoding="utf-8")
    return kb


@pytest.mark.parametrize("argv", [
    ["ask", "reset password {c}"], ["ask", "reset password", "--json"], ["kb"], ["kb", "--format", "csv"],
    ["kb", "--format", "json"], ["lint"], ["lint", "--format", "json"],
])
def test_cli_output_of_faq_text_has_no_terminal_control_sequences(capsys, hostile_kb, argv):
    argv = [a.format(c="".join(HOSTILE)) for a in argv]
    argv += [str(hostile_kb)] if argv[0] == "lint" else ["--kb", str(hostile_kb)]
    code, out, err = run(capsys, *argv)
    assert code in (0, 1), err
    assert_no_controls(out)
    assert_no_controls(err)
    assert ("faq.md" if argv[0] == "lint" else "reset") in out


def test_coverage_eval_and_simulate_output_of_ticket_text_has_no_terminal_control_sequences(capsys, hostile_kb, tmp_path):
    c = "".join(HOSTILE)
    tickets = tmp_path / "tickets.csv"
    rows = "".join(f"question {i},How do I delete my account number {i}?\n" for i in range(200))
    tickets.write_text(f"subject,body\nreset {ESC}]0;pwned{chr(7)},How do I reset my password {ESC}[31m?\n{rows}",
                       encoding="utf-8")
    for extra in ([], ["--json"]):
        code, out, err = run(capsys, "coverage", tickets, "--kb", hostile_kb, *extra)
        assert code == 0, err
        assert_no_controls(out + err)
    evalfile = tmp_path / "eval.csv"
    evalfile.write_text(f"query,expected\nquantum {c} flux,How do I delete my account?\n", encoding="utf-8")
    code, out, err = run(capsys, "eval", evalfile, "--kb", hostile_kb)
    assert code == 0, err
    assert_no_controls(out + err)
    assert "quantum" in out
    roster = tmp_path / "users.csv"
    roster.write_text(f"email\nana@example.com\nbad{c}@@x\n", encoding="utf-8")
    code, out, err = run(capsys, "simulate", "--roster", roster, "--sso", "enforced", "--verified-domain", "example.com")
    assert code == 0, err
    assert_no_controls(out + err)


def test_eval_output_redacts_personal_data_in_queries(capsys, hostile_kb, tmp_path):
    evalfile = tmp_path / "eval.csv"
    evalfile.write_text("query,expected\n"
                        "quantum flux from ana@example.com call +1 415 555 0134,How do I delete my account?\n"
                        "my password is hunter2 and card 4111 1111 1111 1111,\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        code, out, err = run(capsys, "eval", evalfile, "--kb", hostile_kb, *extra)
        assert code == 0, err
        for secret in ("ana@example.com", "555 0134", "hunter2", "4111 1111"):
            assert secret not in out
        assert "[email]" in out
    from assistant import KnowledgeBase, TfidfRetriever
    from assistant.evaluation import evaluate, read_eval_csv

    kb = KnowledgeBase.load(hostile_kb)
    rows = evaluate(TfidfRetriever().fit(kb), read_eval_csv(evalfile), kb).rows
    assert not rows["query"].str.contains("ana@example.com|hunter2").any()


# --- unreadable knowledge bases, FIFOs ---------------------------------------------------------


def test_kb_with_every_file_unreadable_exits_2_with_the_reasons(capsys, tmp_path):
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "gone.md").symlink_to(kb / "nowhere.md")
    (kb / "loop.md").symlink_to(kb / "loop.md")
    os.mkfifo(kb / "pipe.md")
    code, out, err = run(capsys, "kb", "--kb", kb)
    assert code == 2
    assert "0 entries" not in out
    assert "no FAQ file could be read: 3 unreadable" in err
    assert "a symbolic link that leads nowhere" in err and "a symbolic link loop" in err and "a FIFO" in err


def test_kb_whose_files_hold_no_question_exits_2(capsys, tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\nJust prose.\n")
    code, out, err = run(capsys, "kb", "--kb", tmp_path)
    assert code == 2 and "0 entries" not in out
    assert "the knowledge base has no FAQ entries (no question headings found)" in err


def test_eval_on_a_fifo_refuses_instead_of_hanging(tmp_path):
    fifo = tmp_path / "questions.csv"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "assistant", "eval", str(fifo)], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    assert f"{fifo}: not a regular file (a folder, FIFO, socket or device)" in proc.stderr


def test_eval_on_a_device_or_folder_refuses(capsys, tmp_path):
    for path in ("/dev/zero", tmp_path):
        code, _, err = run(capsys, "eval", path)
        assert code == 2 and "not a regular file" in err


# --- file names that are not UTF-8 ---------------------------------------------------------------


@pytest.fixture
def non_utf8_kb(tmp_path) -> Path:
    kb = tmp_path / "kb"
    kb.mkdir()
    name = os.fsdecode(b"caf\xe9-faq.md")  # the bytes cannot be typed: generated here
    (kb / name).write_text("# FAQ\n\n## How do I reset my password?\n\nClick reset.\n", encoding="utf-8")
    (kb / "ok.md").write_text("# FAQ\n\n## How do I pay?\n\nBy card.\n", encoding="utf-8")
    return kb


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_kb_lists_files_whose_names_are_not_utf8(capsys, non_utf8_kb, fmt):
    code, out, err = run(capsys, "kb", "--kb", non_utf8_kb, "--format", fmt)
    assert code == 0, err
    out.encode("utf-8")
    if fmt == "json":
        assert "caf\\xe9-faq#how-do-i-reset-my-password" in {e["id"] for e in json.loads(out)}
    else:
        assert "caf\\xe9-faq" in out and "How do I reset my password?" in out


def test_coverage_and_lint_read_files_whose_names_are_not_utf8(capsys, non_utf8_kb, tmp_path):
    tickets = tmp_path / "t.csv"
    tickets.write_text("subject,body\nreset,How do I reset my password?\n", encoding="utf-8")
    for argv in (["coverage", tickets, "--kb", non_utf8_kb], ["coverage", non_utf8_kb, "--kb", non_utf8_kb, "--json"],
                 ["coverage", tickets, "--kb", non_utf8_kb, "--html", tmp_path / "r.html"]):
        code, out, err = run(capsys, *argv)
        assert code == 0, err
        (out + err).encode("utf-8")
    code, out, err = run(capsys, "lint", non_utf8_kb, "--format", "json", "--min-severity", "info")
    report = json.loads(out)
    assert (report["files"], report["entries"]) == (2, 2)
    assert any(p["file"].endswith("caf\\xe9-faq.md") for p in report["problems"])


def test_feedback_stores_entries_from_files_whose_names_are_not_utf8(non_utf8_kb, tmp_path):
    from assistant import KnowledgeBase
    from assistant.feedback import FeedbackStore

    kb = KnowledgeBase.load(non_utf8_kb)
    entry = next(e for e in kb if "reset" in e.question)
    assert entry.id == "caf\\xe9-faq#how-do-i-reset-my-password" and entry.source == "caf\\xe9-faq.md"
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:  # what Accept in the console writes
        store.record("reset", entry.id, "accepted", question=entry.question, rank=1, score=0.5, confidence=0.7)
        assert store.to_frame()["entry_id"].tolist() == [entry.id]
        assert store.accepted_alternates() == {entry.id: ["reset"]}


# --- nesting -------------------------------------------------------------------------------------


def test_front_matter_and_yaml_files_nested_500_deep_are_problems_not_crashes(capsys, tmp_path):
    deep = "[" * 500 + "]" * 500
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "a.md").write_text(f"---\ntitle: {deep}\n---\n\n## How do I reset it?\n\nClick reset.\n")
    (kb / "b.md").write_text("---\ntitle: B\n---\n\n## How do I pay?\n\nBy card.\n")
    (kb / "b.alternates.yaml").write_text(f"how-do-i-pay: {deep}\n")
    (kb / "synonyms.yaml").write_text(f"pay: {deep}\n")
    (kb / ".faq.yaml").write_text(f"question_headings: {deep}\n")
    (kb / "c.md").write_text(f"+++\ntitle = {deep}\n+++\n\n## How do I quit?\n\nLeave.\n")
    tickets = tmp_path / "t.csv"
    tickets.write_text("subject,body\nreset,How do I reset it?\n")
    for argv in (["kb", "--kb", kb], ["ask", "reset", "--kb", kb], ["lint", kb], ["coverage", tickets, "--kb", kb]):
        code, out, err = run(capsys, *argv)
        assert code in (0, 1), err
        assert "Traceback" not in err and "RecursionError" not in err
    code, out, err = run(capsys, "kb", "--kb", kb)
    assert "3 entries from 3 files" in out
    assert "a.md:2: error: YAML front matter does not parse: the value nests more than 100 levels deep" in err


def test_console_error_reports_and_logs_redact_personal_data(caplog):
    from assistant.widgets.base import View

    view = View()

    def search():
        raise ValueError("cannot search 'mail ana@example.com, my password is hunter2'")

    with caplog.at_level("ERROR"):
        view._guard(search)()
    shown = view.errors[0] + view.error_area.value + caplog.text
    assert "ana@example.com" not in shown and "hunter2" not in shown
    assert "[email]" in view.errors[0] and "password is [token]" in view.error_area.value


_PERSONAL = {
    "my password is hunter2 and the CVV 123": ["hunter2"],
    "card 4111 1111 1111 1111 exp 04/27": ["4111 1111 1111 1111", "04/27"],
    "refund to IBAN DE89 3704 0044 0532 0130 00 please": ["DE89 3704 0044 0532 0130 00"],
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY breaks sso": ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
    "DATABASE_URL=postgres://app:pa55w0rd@db.internal/app and sso": ["pa55w0rd"],
    "hook https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/abcdefghijklmnopqrstuvwx sso": ["hooks.slack.com/services/T0ABCDEF1"],
    "from 203.0.113.57, write to ana at acme dot com, born on 12 March 1985": ["203.0.113.57", "ana at acme", "12 March 1985"],
    "I live at 42 Elm Road, my PIN is 4821": ["42 Elm Road", "4821"],
}


def test_coverage_outputs_hold_no_personal_data_of_any_kind(capsys, tmp_path):
    import csv

    import pandas as pd

    tickets = tmp_path / "tickets.csv"
    with open(tickets, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["subject", "body"])
        for i, text in enumerate(list(_PERSONAL) * 3):
            w.writerow([f"sso question {i}", f"How do I enforce SSO? {text}"])
    out_html, out_parquet = tmp_path / "r.html", tmp_path / "runs.parquet"
    outputs = []
    for extra in ([], ["--json"], ["--html", out_html, "--out", out_parquet]):
        code, out, err = run(capsys, "coverage", tickets, *extra)
        assert code == 0, err
        outputs.append(out + err)
    outputs.append(out_html.read_text(encoding="utf-8"))
    outputs.append(pd.read_parquet(out_parquet).to_csv())
    for text in outputs:
        for secrets in _PERSONAL.values():
            for secret in secrets:
                assert secret not in text, secret
    assert "[token]" in outputs[1] and "[iban]" in outputs[1]


def test_console_accept_works_on_entries_from_files_whose_names_are_not_utf8(non_utf8_kb, tmp_path):
    from assistant import KnowledgeBase, TfidfRetriever
    from assistant.feedback import FeedbackStore
    from assistant.widgets import SupportConsole

    kb = KnowledgeBase.load(non_utf8_kb)
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        console = SupportConsole(kb, TfidfRetriever().fit(kb), store)
        console.search("how do I reset my password")
        card = next(c for c in console.cards if "reset" in c.match.entry.question)
        card.accept.click()
        assert console.errors == []
        assert card.verdict == "accepted"
        assert store.to_frame()["entry_id"].tolist() == ["caf\\xe9-faq#how-do-i-reset-my-password"]
        console.ticket_box.value = "Hi,\n\nHow do I reset my password?\n\nThanks,\nAna"
        console.analyze_button.click()
        console.cards[0].accept.click()
        assert console.errors == [] and "caf" in console.draft.value
