"""Coverage at archive scale: streaming with bounded memory, --out, jobs, the Dask engine, --compare."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from assistant import cli
from assistant.coverage import OUT_COLUMNS, CoverageTally, analyze_coverage, score_texts
from assistant.coverage.compare import compare_coverage, knowledge_base_at_ref
from assistant.knowledge_base import KnowledgeBase
from assistant.retrieval import TfidfRetriever

ROOT = Path(__file__).resolve().parents[1]

BILLING_PAGE = """---
title: Billing
---

### Where do I download an invoice?

Open Billing, then Invoices, and download the PDF of any month.

### How do I delete my account?

Go to Account settings and choose Delete account. Your repositories and images are removed.
"""


def _generator():
    spec = importlib.util.spec_from_file_location("make_sample_tickets", ROOT / "data" / "make_sample_tickets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tickets_csv(tmp_path_factory) -> Path:
    return _generator().write_many(tmp_path_factory.mktemp("tickets") / "tickets.csv", 240, seed=3)


@pytest.fixture(scope="module")
def full(tickets_csv, retriever):
    return analyze_coverage(tickets_csv, retriever, progress=False)


def _uncovered_refs(report) -> set[str]:
    t = report.tickets
    return set(t.loc[~t["covered"], "ref"])


def test_generator_writes_clean_tickets_of_both_kinds(tickets_csv, full):
    assert full.n_tickets == 240 and full.bad_rows == []
    assert 0.3 < full.coverage_rate < 0.9  # covered and gap topics both present


def test_out_writes_every_ticket_result_as_documented(tickets_csv, retriever, full, tmp_path):
    out = tmp_path / "results.parquet"
    report = analyze_coverage(tickets_csv, retriever, progress=False, out=out, chunksize=50)
    written = pd.read_parquet(out)
    assert list(written.columns) == OUT_COLUMNS
    assert len(written) == report.n_tickets == 240
    assert written["row"].tolist() == full.tickets["row"].tolist()  # file order
    assert int(written["covered"].sum()) == report.n_covered
    assert set(written.loc[~written["covered"], "ref"]) == _uncovered_refs(full)
    assert written["confidence"].between(0, 1).all() and written["text"].str.len().max() <= 1000


def test_beyond_keep_tickets_the_report_keeps_counts_and_a_bounded_sample(tickets_csv, retriever, full):
    small = analyze_coverage(tickets_csv, retriever, progress=False, keep_tickets=100, sample_size=30, chunksize=40)
    assert small.summary is not None and full.summary is None
    assert (small.n_tickets, small.n_covered, small.n_ambiguous) == (full.n_tickets, full.n_covered, full.n_ambiguous)
    pd.testing.assert_frame_equal(small.entries, full.entries)
    pd.testing.assert_frame_equal(small.ambiguous_pairs, full.ambiguous_pairs)
    assert len(small.tickets) == small.n_clustered == 30  # the sample, not every ticket
    assert set(small.tickets["ref"]) <= _uncovered_refs(full)
    assert sum(small.summary["hist_covered"]) == full.n_covered
    assert sum(small.summary["hist_uncovered"]) == full.n_tickets - full.n_covered
    text = small.to_text()
    assert "a sample of 30 clustered" in text and small.to_dict()["clustered"] == 30
    assert small.to_dict()["tickets"] == 240
    with pytest.raises(ValueError, match="kept a sample of its 240 tickets"):
        small.with_min_confidence(0.6)
    assert "data:image/png;base64," in small.to_html()  # the plots work from the counts


def test_the_uncovered_sample_does_not_depend_on_chunking(tickets_csv, retriever):
    a = analyze_coverage(tickets_csv, retriever, progress=False, keep_tickets=0, sample_size=25, chunksize=7)
    b = analyze_coverage(tickets_csv, retriever, progress=False, keep_tickets=0, sample_size=25, chunksize=1000)
    assert a.tickets["ref"].tolist() == b.tickets["ref"].tolist() and len(a.tickets) == 25


def test_tallies_of_partitions_merge_into_the_tally_of_the_whole(tickets_csv, retriever, full):
    from assistant.ticket_files import read_tickets

    frame, _ = read_tickets(tickets_csv)
    ids = [e.id for e in retriever.entries_]
    whole = CoverageTally(ids, 0.5, 0.05, sample_size=20)
    parts = [CoverageTally(ids, 0.5, 0.05, sample_size=20) for _ in range(3)]
    for i, chunk in enumerate([frame.iloc[:70], frame.iloc[70:150], frame.iloc[150:]]):
        results = score_texts(retriever, chunk["row"].tolist(), chunk["ref"].tolist(), chunk["text"].tolist())
        whole.add(results)
        parts[i].add(results)
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert (merged.tickets, merged.covered, merged.ambiguous) == (whole.tickets, whole.covered, whole.ambiguous)
    assert merged.hits == whole.hits and merged.pairs == whole.pairs
    assert set(merged.sample["ref"]) == set(whole.sample["ref"])
    assert merged.covered == full.n_covered


def test_jobs_score_in_processes_with_the_same_results(tickets_csv, retriever, full):
    two = analyze_coverage(tickets_csv, retriever, progress=False, jobs=2, chunksize=30)
    pd.testing.assert_frame_equal(two.tickets, full.tickets)
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        analyze_coverage(tickets_csv, retriever, jobs=0)


def test_cli_out_jobs_and_sample_size(tickets_csv, tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert cli.main(["coverage", str(tickets_csv), "--out", str(out), "--jobs", "2", "--sample-size", "10",
                     "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert f"wrote {out}" in captured.err and len(pd.read_parquet(out)) == data["tickets"] == 240
    assert data["clustered"] == data["tickets"] - data["covered"]  # 240 tickets: all kept


def test_redacting_in_the_workers_reports_and_cuts_rows_as_reading_does(tmp_path, retriever):
    # Files are redacted where tickets are scored (TicketReader(redact=False)); the results, cut texts and
    # problems must be those of reading them redacted, in the same order, whatever the jobs.
    from assistant.ticket_files import read_tickets

    grows = "cvv 123 " * 30  # 240 characters that redaction makes 300 ("cvv [cvv] ")
    data = ("id,subject,body\n1,SSO,How do I enforce SSO? Mail ana@acme.example\n"
            f"2,Card,{grows}\n3,Log,{'x' * 400}\n").encode() + b"4,Caf\xe9,How do I pay?\n5,,\n"
    path = tmp_path / "tickets.csv"
    path.write_bytes(data)
    expected, problems = read_tickets(path, max_chars=250)
    assert [(p.line, p.code) for p in problems] == [(3, "text-too-long"), (4, "text-too-long"), (5, "not-utf8"),
                                                    (6, "no-text")]
    for jobs in (1, 2):
        report = analyze_coverage(path, retriever, progress=False, jobs=jobs, chunksize=2, max_chars=250)
        assert report.bad_rows == problems
        assert report.tickets["ref"].tolist() == expected["ref"].tolist() == [f"tickets.csv:{n}" for n in range(2, 6)]
        assert "ana@" not in report.tickets["text"][0] and "[email]" in report.tickets["text"][0]
        assert report.tickets["text"][1].startswith("Card\n\ncvv [cvv] ") and "123" not in report.tickets["text"][1]
    assert [len(t) for t in expected["text"]][1:3] == [250, 250]


@pytest.mark.parametrize("argv, message", [
    (["--margin", "nan"], "--margin must be a finite number, 0 or more, got nan"),
    (["--margin", "inf"], "--margin must be a finite number, 0 or more, got inf"),
    (["--margin", "-0.1"], "--margin must be a finite number, 0 or more, got -0.1"),
    (["--threshold", "nan"], "--threshold is a confidence between 0 and 1, got nan"),
    (["--jobs", "0"], "--jobs must be at least 1, got 0"),
    (["--scheduler", "tcp://x:1"], "--scheduler needs --engine dask"),
])
def test_cli_rejects_bad_numbers_naming_the_option(argv, message, capsys):
    assert cli.main(["coverage", str(ROOT / "data" / "sample_tickets.csv"), *argv]) == 2
    assert capsys.readouterr().err.strip() == f"faq-assistant: error: {message}"


def test_library_rejects_a_margin_that_is_not_finite(retriever):
    for bad in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="margin must be a finite number >= 0"):
            analyze_coverage(["Bananas are yellow"], retriever, margin=bad)


# --- Dask -----------------------------------------------------------------------------------------------


def _parts(tickets_csv: Path, folder: Path) -> None:
    """Two Parquet parts and one CSV part of the same tickets."""
    frame = pd.read_csv(tickets_csv, dtype=str).iloc[:90]  # small: the cluster's start is the cost here
    folder.mkdir()
    frame.iloc[:30].to_parquet(folder / "part-0.parquet")
    frame.iloc[30:60].to_parquet(folder / "part-1.parquet")
    frame.iloc[60:].to_csv(folder / "part-2.csv", index=False)


def test_dask_engine_on_a_two_worker_local_cluster_equals_the_local_engine(tickets_csv, retriever, tmp_path):
    pytest.importorskip("distributed", reason='the Dask engine needs the [dask] extra: pip install "faq-assistant[dask]"')
    from distributed import Client, LocalCluster

    from assistant.coverage.dask_engine import analyze_coverage_dask

    _parts(tickets_csv, tmp_path / "parts")
    pattern = str(tmp_path / "parts" / "part-*")
    local = analyze_coverage(pattern, retriever, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        dist = analyze_coverage_dask(pattern, retriever, client=client)
        url = analyze_coverage_dask("file://" + pattern, retriever, client=client, sample_size=5)
    assert [g.to_dict() for g in dist.gaps] == [g.to_dict() for g in local.gaps]  # same sample, same order
    assert local.n_tickets == dist.n_tickets == 90
    assert dist.coverage_rate == local.coverage_rate and dist.n_ambiguous == local.n_ambiguous
    pd.testing.assert_frame_equal(dist.entries, local.entries)
    pd.testing.assert_frame_equal(dist.ambiguous_pairs, local.ambiguous_pairs)
    assert set(dist.tickets["ref"]) == _uncovered_refs(local)
    assert {r.split(":")[0] for r in dist.tickets["ref"]} == {"part-0.parquet", "part-1.parquet", "part-2.csv"}
    assert url.n_covered == local.n_covered and len(url.tickets) == 5


def test_dask_engine_without_the_extra_says_how_to_install_it(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    assert cli.main(["coverage", str(ROOT / "data" / "sample_tickets.csv"), "--engine", "dask"]) == 2
    assert 'pip install "faq-assistant[dask]"' in capsys.readouterr().err


# --- compare ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def new_kb(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kbnew") / "kb"
    shutil.copytree(ROOT / "kb", folder)
    (folder / "billing").mkdir()
    (folder / "billing" / "faq.md").write_text(BILLING_PAGE, encoding="utf-8")
    return folder


def test_compare_reports_tickets_gaps_and_hits_that_change(tickets_csv, retriever, new_kb):
    new = TfidfRetriever().fit(KnowledgeBase.load(new_kb))
    cmp = compare_coverage(tickets_csv, retriever, new, progress=False)
    assert cmp.old.n_tickets == cmp.new.n_tickets == 240
    assert cmp.n_became_covered == cmp.new.n_covered - cmp.old.n_covered + cmp.n_became_uncovered > 0
    assert set(cmp.became_covered["new_id"]) >= {KnowledgeBase.load(new_kb).find_question(
        "Where do I download an invoice?").id}
    assert any("invoice" in g["label"] for g in cmp.gaps_closed)
    changed = cmp.hits[cmp.hits["change"] != 0]
    assert "Where do I download an invoice?" in set(changed["question"])
    assert (changed["new_hits"] - changed["old_hits"] == changed["change"]).all()
    back = compare_coverage(tickets_csv, new, retriever, progress=False)
    assert back.n_became_uncovered == cmp.n_became_covered and back.n_became_covered == cmp.n_became_uncovered
    assert any("invoice" in g["label"] for g in back.gaps_opened)
    data = cmp.to_dict()
    assert data["became_covered"] == cmp.n_became_covered and data["tickets"] == 240


def test_cli_compare_exit_code_says_whether_a_ticket_became_uncovered(tickets_csv, new_kb, capsys):
    assert cli.main(["coverage", str(tickets_csv), "--kb", str(new_kb), "--compare", str(ROOT / "kb")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("240 tickets: coverage ") and "Gaps closed: " in out and "Hits per FAQ entry changed" in out
    assert cli.main(["coverage", str(tickets_csv), "--compare", str(new_kb), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["became_uncovered"] > 0


def test_compare_ref_reads_the_folder_at_a_git_commit(tickets_csv, new_kb, tmp_path, capsys):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "kb", repo / "faq")
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git[:3], "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "old"], check=True)
    shutil.copytree(new_kb / "billing", repo / "faq" / "billing")  # the pull request, not committed
    old = knowledge_base_at_ref(repo / "faq", "HEAD", into=tmp_path / "old")
    assert not (old / "billing").exists() and (old / "security").is_dir()
    assert cli.main(["coverage", str(tickets_csv), "--kb", str(repo / "faq"), "--compare-ref", "HEAD"]) == 0
    assert "became covered" in capsys.readouterr().out
    assert cli.main(["coverage", str(tickets_csv), "--kb", str(repo / "faq"), "--compare-ref", "nope"]) == 2
    assert "git rev-parse failed" in capsys.readouterr().err


def test_the_coverage_view_of_a_sampled_report_shows_it_and_disables_the_slider(tickets_csv, retriever):
    from assistant.widgets import CoverageView

    small = analyze_coverage(tickets_csv, retriever, progress=False, keep_tickets=0, sample_size=20)
    view = CoverageView(small)
    assert view.slider.disabled and view.errors == []
    assert "of 240 tickets covered" in view.summary.value
    assert "draft FAQ entry" in view.tables["gaps"].value
