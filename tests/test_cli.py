"""The faq-assistant CLI: output, JSON contract, exit codes (issue 2)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import cli

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_prints_best_entry_with_source_and_confidence(capsys):
    code, out, err = run(capsys, "ask", "Can I enable SSO and hold off on the enforcement option?")
    assert code == 0
    assert out.startswith("Best match (confidence ")
    assert "Q: Can I enable SSO and hold off on the enforcement option?" in out
    assert "users have the option to use either iEchor ID" in out
    assert "Source: security/single-sign-on/enforcement-faqs.md:39" in out
    assert "URL:    /single-sign-on/enforcement-faqs/#can-i-enable-sso-and-hold-off-on-the-enforcement-option" in out
    assert "Other candidates:" in out and re.search(r"^  2\. \[\d\.\d\d\] ", out, re.M)


def test_ask_json_contract(capsys):
    code, out, _ = run(capsys, "ask", "Is DNS verification required to enable SSO?", "-k", "4", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"query", "answered", "matches"}
    assert data["query"] == "Is DNS verification required to enable SSO?"
    assert data["answered"] is True
    assert len(data["matches"]) == 4
    first = data["matches"][0]
    assert {"id", "question", "score", "confidence", "source"} <= set(first)
    assert first["id"] == "security/single-sign-on/enforcement-faqs#is-dns-verification-required-to-enable-sso"
    assert first["question"] == "Is DNS verification required to enable SSO?"
    assert first["source"] == "security/single-sign-on/enforcement-faqs.md"
    for m in data["matches"]:
        assert isinstance(m["id"], str) and isinstance(m["question"], str) and isinstance(m["source"], str)
        assert type(m["score"]) is float and type(m["confidence"]) is float
    assert first["confidence"] > 0.5 > data["matches"][-1]["confidence"]
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= m["confidence"] <= 1.0 for m in data["matches"])


def test_ask_abstains_and_still_lists_candidates(capsys):
    code, out, _ = run(capsys, "ask", "My container exits with code 137 after an OOM kill", "--json")
    data = json.loads(out)
    assert code == 0 and data["answered"] is False and len(data["matches"]) == 3
    code, out, _ = run(capsys, "ask", "My container exits with code 137 after an OOM kill")
    assert out.startswith("No FAQ entry answers this confidently")


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_an_error(capsys, query):
    code, out, err = run(capsys, "ask", query)
    assert code == 2 and out == ""
    assert "faq-assistant: error: the query is empty" in err


def test_ask_reads_stdin(capsys, monkeypatch):
    code, out, _ = run(capsys, "ask", "-", "--json", stdin="Is DNS verification required to enable SSO?", monkeypatch=monkeypatch)
    assert code == 0 and json.loads(out)["matches"][0]["question"] == "Is DNS verification required to enable SSO?"


def test_bad_kb_folder_is_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "ask", "sso", "--kb", str(tmp_path / "missing"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "kb", "--kb", str(tmp_path))
    assert code == 2 and "no FAQ markdown files" in err


def test_kb_without_questions_is_exit_2_for_ask(capsys, tmp_path):
    (tmp_path / "notes.md").write_text("# Notes\n\nNothing to ask here.\n")
    code, _, err = run(capsys, "ask", "anything", "--kb", str(tmp_path))
    assert code == 2 and "no FAQ entries" in err


def test_kb_formats(capsys):
    code, out, _ = run(capsys, "kb", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 12
    assert {"id", "question", "answer_text", "source"} <= set(rows[0])
    by_id = {r["id"]: r for r in rows}
    dns = by_id["security/single-sign-on/enforcement-faqs#is-dns-verification-required-to-enable-sso"]
    assert dns["question"] == "Is DNS verification required to enable SSO?"
    assert dns["source"] == "security/single-sign-on/enforcement-faqs.md"
    assert type(dns["line"]) is int and dns["line"] > 1
    assert isinstance(dns["answer_text"], str) and dns["answer_text"].startswith("Yes")
    code, out, _ = run(capsys, "kb", "--format", "csv")
    assert out.splitlines()[0].startswith("id,question,answer_text,source,line")
    assert len(out.splitlines()) >= 13
    code, out, _ = run(capsys, "kb")
    assert out.startswith("SOURCE:LINE")
    assert out.rstrip().endswith("12 entries from 1 file")


def test_kb_option_reads_any_folder_recursively(capsys, tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "faq.md").write_text("## How do I reset a widget?\n\nPress reset.\n")
    (tmp_path / "top.md").write_text("### Why is the sky blue?\n\nRayleigh scattering.\n")
    code, out, _ = run(capsys, "kb", "--kb", str(tmp_path), "--format", "json")
    assert sorted(r["id"] for r in json.loads(out)) == ["a/b/faq#how-do-i-reset-a-widget", "top#why-is-the-sky-blue"]
    code, out, _ = run(capsys, "ask", "why is the sky blue", "--kb", str(tmp_path), "--json")
    assert json.loads(out)["matches"][0]["id"] == "top#why-is-the-sky-blue"


def test_python_dash_m_works_the_same():
    proc = subprocess.run([sys.executable, "-m", "assistant", "ask", "Is DNS verification required to enable SSO?", "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["answered"] is True
    proc = subprocess.run([sys.executable, "-m", "assistant", "ask", " "], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "query is empty" in proc.stderr


def test_every_command_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:
        assert f"faq-assistant {name}" in readme, f"README.md does not document `faq-assistant {name}`"


def test_cli_answers_from_the_kb_in_faq_assistant_kb(capsys, monkeypatch, tmp_path):
    (tmp_path / "faq.md").write_text("## Why is the sky blue?\n\nRayleigh scattering.\n")
    monkeypatch.setenv("FAQ_ASSISTANT_KB", str(tmp_path))
    code, out, _ = run(capsys, "ask", "why is the sky blue", "--json")
    assert code == 0 and json.loads(out)["matches"][0]["id"] == "faq#why-is-the-sky-blue"
    code, out, _ = run(capsys, "kb", "--format", "json")
    assert [r["id"] for r in json.loads(out)] == ["faq#why-is-the-sky-blue"]
    # --kb still wins over the environment
    code, out, _ = run(capsys, "kb", "--kb", str(ROOT / "kb"), "--format", "json")
    assert len(json.loads(out)) == 12
