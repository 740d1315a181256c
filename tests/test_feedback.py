"""SQLite feedback store: redaction, DataFrame, alternates, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from pandas.api.types import (is_datetime64_any_dtype, is_float_dtype, is_integer_dtype, is_object_dtype,
                              is_string_dtype)

from assistant import TfidfRetriever
from assistant.config import FEEDBACK_DB_VAR
from assistant.feedback import COLUMNS, FeedbackStore
from assistant.problems import FaqAssistantError, InputFileError


def is_object_or_string(column: pd.Series) -> bool:
    """A text column that may hold missing values (SQL NULL: None or NaN, by pandas version)."""
    return (is_string_dtype(column) or is_object_dtype(column)) and all(
        isinstance(v, str) or pd.isna(v) for v in column)


def test_default_path_env_and_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(FEEDBACK_DB_VAR, raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with FeedbackStore() as store:  # creates the parent folders
        assert store.path == tmp_path / ".local" / "share" / "faq-assistant" / "feedback.sqlite3"
        assert store.path.is_file()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    with FeedbackStore() as store:
        assert store.path == tmp_path / "xdg" / "faq-assistant" / "feedback.sqlite3" and store.path.is_file()
    monkeypatch.setenv(FEEDBACK_DB_VAR, " ~/custom/fb.db ")
    with FeedbackStore() as store:
        assert store.path == tmp_path / "custom" / "fb.db" and store.path.is_file()
    with FeedbackStore("~/explicit.sqlite3") as store:  # an explicit path wins over the environment
        assert store.path == tmp_path / "explicit.sqlite3" and store.path.is_file()


def test_record_redacts_and_reads_back_as_frame(tmp_path):
    ticket = "Hi, I am ann@example.com, token dckr_pat_abcdefgh12345678. How do I use the CLI with SSO?"
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        assert store.journal_mode == "wal"
        rid = store.record("CLI with SSO? mail ann@example.com", "faq#cli", "accepted", question="Does SSO ...?",
                           rank=1, score=0.42, confidence=0.81, ticket=ticket, origin="ticket")
        store.record("dns", "faq#dns", "dismissed")
        df = store.to_frame()
    assert rid == 1
    assert list(df.columns) == COLUMNS and len(df) == 2
    row = df.iloc[0]
    assert row.to_dict() | {"created_at": None} == {
        "id": 1, "created_at": None, "verdict": "accepted", "query": "CLI with SSO? mail [email]",
        "entry_id": "faq#cli", "question": "Does SSO ...?", "rank": 1, "score": 0.42, "confidence": 0.81,
        "ticket": "Hi, I am [email], token [token]. How do I use the CLI with SSO?", "origin": "ticket"}
    kinds = {"id": is_integer_dtype, "created_at": is_datetime64_any_dtype, "verdict": is_string_dtype,
             "query": is_string_dtype, "entry_id": is_string_dtype, "question": is_object_or_string,
             "rank": is_float_dtype, "score": is_float_dtype, "confidence": is_float_dtype,  # NaN when not given
             "ticket": is_object_or_string, "origin": is_string_dtype}
    assert list(kinds) == COLUMNS and [c for c, is_kind in kinds.items() if not is_kind(df[c])] == []
    assert row["query"] == "CLI with SSO? mail [email]"
    assert row["ticket"] == "Hi, I am [email], token [token]. How do I use the CLI with SSO?"
    assert (row["entry_id"], row["verdict"], row["rank"], row["origin"]) == ("faq#cli", "accepted", 1, "ticket")
    assert row["score"] == pytest.approx(0.42) and row["confidence"] == pytest.approx(0.81)
    assert pd.isna(df.iloc[1]["ticket"]) and df.iloc[1]["origin"] == "console"
    assert str(df["created_at"].dt.tz) == "UTC"
    raw = (tmp_path / "fb.sqlite3").read_bytes() + (tmp_path / "fb.sqlite3-wal").read_bytes() \
        if (tmp_path / "fb.sqlite3-wal").exists() else (tmp_path / "fb.sqlite3").read_bytes()
    assert b"ann@example.com" not in raw and b"dckr_pat_" not in raw


def test_rows_survive_reopening(tmp_path):
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        store.record("q", "e", "accepted")
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        assert len(store) == 1
        store.record("q2", "e", "accepted")
        assert store.to_frame()["query"].tolist() == ["q", "q2"]


@pytest.mark.parametrize("args, message", [
    (("q", "e", "liked"), "verdict must be 'accepted' or 'dismissed', got 'liked'"),
    (("  ", "e", "accepted"), "query is empty"),
    (("q", "", "accepted"), "entry_id is empty"),
])
def test_record_rejects_bad_input(tmp_path, args, message):
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        with pytest.raises(FaqAssistantError, match=message):
            store.record(*args)
        assert len(store) == 0


def test_not_a_database_names_the_file(tmp_path):
    bad = tmp_path / "notes.sqlite3"
    bad.write_text("this is not sqlite " * 100)
    with pytest.raises(InputFileError, match=r"notes\.sqlite3: cannot open the feedback database: file is not a database"
                       ) as info:
        FeedbackStore(bad)
    assert info.value.file == str(bad) and info.value.line is None


def test_accepted_alternates_net_votes(tmp_path):
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        store.record("How to use CLI with SSO", "faq#cli", "accepted")
        store.record("how to use  cli with sso", "faq#cli", "accepted")  # same query, other spelling
        store.record("sso for the terminal", "faq#cli", "accepted")
        store.record("sso for the terminal", "faq#cli", "dismissed")  # net 0: not used
        store.record("dns needed?", "faq#dns", "accepted")
        store.record("pricing", "faq#dns", "dismissed")
        store.record("mail me at bob@example.com about dns", "faq#dns", "accepted")
        store.record("Hi team,\n\nDNS for SSO, is it needed?\n\nThanks,\nKim", "faq#dns", "accepted")
        assert store.accepted_alternates() == {  # cleaned once here: the retriever does not clean
            "faq#cli": ["How to use CLI with SSO"],
            "faq#dns": ["dns needed?", "mail me at [email] about dns", "DNS for SSO, is it needed?"],
        }


def test_alternates_feed_the_retriever(tmp_path, kb):
    target = kb.find_question("Is DNS verification required to enable SSO?")
    query = "zorblax frobnication"
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        store.record(query, target.id, "accepted")
        alternates = store.accepted_alternates()
    assert TfidfRetriever().fit(kb).search(query).abstained
    assert TfidfRetriever().fit(kb, alternates=alternates).search(query).best.entry.id == target.id


def _writer(path: str, worker: int, n: int, start, timeout: float = 30.0) -> None:
    start.wait()  # a barrier: every process opens the fresh database and writes at the same moment
    with FeedbackStore(path, timeout=timeout) as store:
        for i in range(n):
            store.record(f"worker {worker} query {i}", f"faq#{i % 5}", "accepted" if i % 3 else "dismissed")


def test_concurrent_writers_lose_nothing(tmp_path):
    """Several processes (like several notebooks) open a fresh database and write at the same time."""
    path = str(tmp_path / "shared.sqlite3")
    ctx = mp.get_context("spawn")
    workers, n = 4, 150
    start = ctx.Barrier(workers)
    procs = [ctx.Process(target=_writer, args=(path, w, n, start)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * workers
    with FeedbackStore(path) as store:
        df = store.to_frame()
    assert len(df) == workers * n
    assert set(df["query"]) == {f"worker {w} query {i}" for w in range(workers) for i in range(n)}
    assert df["id"].is_unique
    # Every worker's own rows are in its own order.
    for w in range(workers):
        mine = df[df["query"].str.startswith(f"worker {w} ")]
        assert mine["query"].tolist() == [f"worker {w} query {i}" for i in range(n)]
    assert Path(path).exists()


def test_unopenable_paths_and_odd_text_give_errors_naming_the_path(tmp_path):
    with pytest.raises(sqlite3.OperationalError, match=str(tmp_path)):
        FeedbackStore(tmp_path)  # a folder, not a database file
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.record("lone \ud800 surrogate", "e#1", "accepted")
    assert store.to_frame()["query"].tolist() == ["lone ? surrogate"]


@pytest.mark.parametrize("kwargs, message", [
    ({"origin": None}, r"origin must be text \(str\), got NoneType None"),
    ({"origin": " "}, "origin is empty"),
    ({"rank": 10**30}, r"rank must be from 1 to 1,000,000 .*got 1000000000000000000000000000000"),
    ({"rank": 0}, "rank must be from 1 to"),
    ({"rank": 2.5}, r"rank must be a whole number .*got float 2\.5"),
    ({"rank": "3"}, r"rank must be a whole number .*got str '3'"),
    ({"score": float("nan")}, "score must be a finite number, got nan"),
    ({"confidence": "high"}, r"confidence must be a number or None, got str 'high'"),
    ({"ticket": b"bytes"}, r"ticket must be text \(str\) or None, got bytes"),
    ({"question": 3}, r"question must be text \(str\) or None, got int 3"),
])
def test_feedback_record_rejects_bad_arguments_naming_them(tmp_path, kwargs, message):
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        with pytest.raises(FaqAssistantError, match=message):
            store.record("q", "e#1", "accepted", **kwargs)
        assert len(store) == 0


@pytest.mark.parametrize("query, message", [
    (b"bytes query", r"query must be text \(str\), got bytes b'bytes query'"),
    (["a", "list"], r"query must be text \(str\), got list"),
    (42, r"query must be text \(str\), got int 42"),
])
def test_feedback_record_rejects_a_non_text_question_naming_it(tmp_path, query, message):
    with FeedbackStore(tmp_path / "fb.sqlite3") as store:
        with pytest.raises(FaqAssistantError, match=message):
            store.record(query, "e#1", "accepted")
        with pytest.raises(FaqAssistantError, match=r"entry_id must be text \(str\), got int 7"):
            store.record("q", 7, "accepted")


def test_feedback_database_whose_parent_is_a_file_names_the_path(tmp_path):
    blocker = tmp_path / "data"
    blocker.write_text("a file, not a folder")
    with pytest.raises(InputFileError, match=rf"{tmp_path / 'data' / 'fb.sqlite3'}: cannot create the feedback "
                                             rf"database: {blocker} is a file, not a folder"):
        FeedbackStore(blocker / "fb.sqlite3")
    with pytest.raises(InputFileError, match=f"{blocker} is a file"):
        FeedbackStore(blocker / "deeper" / "fb.sqlite3")


def test_corrupt_feedback_database_page_error_names_the_path(tmp_path):
    path = tmp_path / "fb.sqlite3"
    with FeedbackStore(path) as store:
        for i in range(300):
            store.record(f"question number {i} " + "x" * 200, f"e#{i}", "accepted")
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page:len(data) - page] = b"\xa5" * (len(data) - 3 * page)  # every page but the first and last
    path.write_bytes(bytes(data))
    with pytest.raises((InputFileError, sqlite3.OperationalError), match=str(path)):
        with FeedbackStore(path) as store:
            store.to_frame()
            store.record("q", "e#1", "accepted")
            store.accepted_alternates()
