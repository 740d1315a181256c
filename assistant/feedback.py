"""Feedback on suggested FAQ entries, stored in SQLite.

Each time a support engineer accepts or dismisses a suggestion, one row is written: the query
(and the ticket it came from, if any) redacted with :func:`assistant.redaction.redact`, the FAQ
entry id, the verdict and the retriever's rank, score and confidence at that moment.

Where the database lives (first that applies):

1. the ``path`` argument of :class:`FeedbackStore`;
2. the ``FAQ_ASSISTANT_FEEDBACK_DB`` environment variable;
3. ``$XDG_DATA_HOME/faq-assistant/feedback.sqlite3``, by default
   ``~/.local/share/faq-assistant/feedback.sqlite3``.

(2 and 3 are :attr:`assistant.config.Settings.feedback_db`; this module reads no environment.)

Several notebooks or processes may write at once: the database is in WAL mode (readers never
block the writer) and every connection waits up to ``timeout`` seconds for the write lock instead
of failing with "database is locked". WAL needs a local file system (not NFS/SMB).

Accepted (query, entry) pairs become alternate questions for the retriever::

    TfidfRetriever().fit(kb, alternates=store.accepted_alternates())
"""

from __future__ import annotations

import math
import numbers
import operator
import os
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from .config import Settings
from .files import shown_path
from .problems import FaqAssistantError, InputFileError
from .redaction import redact
from .tickets import clean_ticket

__all__ = ["FeedbackStore", "VERDICTS", "COLUMNS", "MAX_RANK"]

#: Allowed values of ``verdict``.
VERDICTS = ("accepted", "dismissed")
#: Columns of :meth:`FeedbackStore.to_frame`, in order.
COLUMNS = ["id", "created_at", "verdict", "query", "entry_id", "question", "rank", "score", "confidence",
           "ticket", "origin"]

#: Largest ``rank`` :meth:`FeedbackStore.record` accepts.
MAX_RANK = 1_000_000


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _checked_rank(rank: object) -> int | None:
    """``rank`` as an int in 1..MAX_RANK (bool and float refused), or None."""
    if rank is None:
        return None
    if isinstance(rank, bool) or not hasattr(type(rank), "__index__"):
        raise FaqAssistantError(f"rank must be a whole number from 1 to {MAX_RANK:,} or None, got "
                                f"{type(rank).__name__} {_short(rank)}")
    value = operator.index(rank)
    if not 1 <= value <= MAX_RANK:
        raise FaqAssistantError(f"rank must be from 1 to {MAX_RANK:,} (the suggestion's 1-based rank), got {_short(value)}")
    return value


def _checked_number(name: str, value: object) -> float | None:
    """``value`` as a finite float, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise FaqAssistantError(f"{name} must be a number or None, got {type(value).__name__} {_short(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise FaqAssistantError(f"{name} must be a finite number, got {number}")
    return number


_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  TEXT    NOT NULL,               -- ISO 8601, UTC
    verdict     TEXT    NOT NULL CHECK (verdict IN ('accepted', 'dismissed')),
    query       TEXT    NOT NULL,               -- redacted
    entry_id    TEXT    NOT NULL,
    question    TEXT,                           -- the FAQ entry's question when the feedback was given
    rank        INTEGER,
    score       REAL,
    confidence  REAL,
    ticket      TEXT,                           -- redacted; NULL for a search
    origin      TEXT    NOT NULL DEFAULT 'console'
);
CREATE INDEX IF NOT EXISTS feedback_entry ON feedback (entry_id);
"""


class FeedbackStore:
    """Accept/dismiss feedback in a SQLite database.

    Parameters
    ----------
    path : str or Path, optional
        Database file; created with its parent folders if missing. Default
        ``Settings.from_env().feedback_db`` (``$FAQ_ASSISTANT_FEEDBACK_DB``, else
        ``$XDG_DATA_HOME/faq-assistant/feedback.sqlite3``).
    timeout : float, default 30.0
        Seconds a write waits for another process's write to finish before raising
        ``sqlite3.OperationalError``.

    Raises
    ------
    OSError
        If the parent folder cannot be created (no permission).
    sqlite3.OperationalError
        If the file cannot be opened (a folder, no permission) or stays locked past ``timeout``.
    InputFileError
        If ``path`` exists but is not a SQLite database (``"<path>: cannot open the feedback
        database: file is not a database"``), or a file stands where one of its parent folders
        should be. A database whose pages are corrupt raises it (naming the path) on first use.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, timeout: float = 30.0):
        self.path = Path(path).expanduser() if path is not None else Settings.from_env().feedback_db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):  # a file where a folder of the path should be
            blocker = next((p for p in [self.path.parent, *self.path.parent.parents] if p.exists() and not p.is_dir()),
                           self.path.parent)
            raise InputFileError(f"cannot create the feedback database: {shown_path(blocker)} is a file, not a "
                                 "folder (choose another path)", file=shown_path(self.path)) from None
        self.timeout = timeout
        # isolation_level=None: autocommit, each INSERT is its own transaction (committed on return).
        try:
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:  # a folder, no permission, /proc ...
            raise sqlite3.OperationalError(f"{self.path}: cannot open the feedback database: {exc}") from exc
        # Switching to WAL and creating the schema can meet "database is locked" without waiting on
        # the busy timeout when several processes open a new database at once: retry until timeout.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                self.journal_mode = str(self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
                self._conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode, much faster
                self._conn.executescript(_SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                self._conn.close()
                raise sqlite3.OperationalError(f"{self.path}: cannot open the feedback database: {exc}") from exc
            except sqlite3.DatabaseError as exc:  # not a SQLite file: the path names the wrong file
                self._conn.close()
                raise InputFileError(f"cannot open the feedback database: {exc}", file=str(self.path)) from exc

    def __repr__(self) -> str:
        return f"FeedbackStore({str(self.path)!r})"

    def __enter__(self) -> "FeedbackStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __len__(self) -> int:
        return int(self._read(lambda: self._conn.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]))

    def _read(self, query):
        """Run ``query()``; a corrupt database ("database disk image is malformed") is an error naming the file."""
        try:
            try:
                return query()
            except pd.errors.DatabaseError as exc:  # pandas wraps the sqlite3 error
                raise exc.__cause__ if isinstance(exc.__cause__, sqlite3.Error) else exc
        except sqlite3.OperationalError as exc:
            raise sqlite3.OperationalError(f"{self.path}: cannot read the feedback database: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise InputFileError(f"cannot read the feedback database: {exc} (restore it from a backup or move it "
                                 "away to start a new one)", file=shown_path(self.path)) from exc

    def record(
        self,
        query: str,
        entry_id: str,
        verdict: str,
        *,
        question: str | None = None,
        rank: int | None = None,
        score: float | None = None,
        confidence: float | None = None,
        ticket: str | None = None,
        origin: str = "console",
    ) -> int:
        """Store one verdict on one suggestion and return its row id.

        Parameters
        ----------
        query : str
            The query (or the question split from a ticket) the entry was suggested for. Redacted.
        entry_id : str
            The FAQ entry's id.
        verdict : {"accepted", "dismissed"}
        question : str, optional
            The entry's question text, kept so rows stay readable if the KB changes.
        rank, score, confidence : optional
            The suggestion's 1-based rank, cosine score and confidence in [0, 1].
        ticket : str, optional
            The whole ticket the query came from. Redacted.
        origin : str, default "console"
            What wrote the row (``"console"``, ``"search"``, ``"ticket"``, a script name).

        Raises
        ------
        FaqAssistantError
            (a ``ValueError``) Naming the argument: ``verdict`` not one of :data:`VERDICTS`;
            ``query``, ``entry_id`` or ``origin`` not text or empty; ``question`` or ``ticket`` not
            text; ``rank`` not an integer from 1 to :data:`MAX_RANK`; ``score`` or ``confidence``
            not a finite number.
        InputFileError
            If the database is corrupt (the message names its path).
        sqlite3.OperationalError
            If the row cannot be written (read-only file, disk full, locked past ``timeout``).
        """
        if not isinstance(verdict, str) or verdict not in VERDICTS:
            raise FaqAssistantError(f"verdict must be 'accepted' or 'dismissed', got {_short(verdict)}")
        for name, value in (("query", query), ("entry_id", entry_id), ("origin", origin)):
            if not isinstance(value, str):
                raise FaqAssistantError(f"{name} must be text (str), got {type(value).__name__} {_short(value)}")
        if not query.strip():
            raise FaqAssistantError("query is empty: feedback needs the query the entry was suggested for")
        if not entry_id.strip():
            raise FaqAssistantError("entry_id is empty: feedback needs the FAQ entry's id")
        if not origin.strip():
            raise FaqAssistantError("origin is empty: name what wrote the row (e.g. 'console')")
        for name, value in (("question", question), ("ticket", ticket)):
            if value is not None and not isinstance(value, str):
                raise FaqAssistantError(f"{name} must be text (str) or None, got {type(value).__name__} {_short(value)}")
        rank = _checked_rank(rank)
        score, confidence = _checked_number("score", score), _checked_number("confidence", confidence)
        def utf8(text: str | None) -> str | None:  # a lone surrogate cannot be stored as UTF-8
            return None if text is None else text.encode("utf-8", "replace").decode("utf-8")

        try:
            cur = self._insert(verdict, utf8(redact(query.strip())), utf8(entry_id), utf8(question), rank, score,
                               confidence, None if ticket is None else utf8(redact(ticket)), utf8(origin))
        except sqlite3.OperationalError as exc:  # read-only file, disk full ...
            raise sqlite3.OperationalError(f"{self.path}: cannot save feedback: {exc}") from exc
        except sqlite3.DatabaseError as exc:  # "database disk image is malformed"
            raise InputFileError(f"cannot save feedback: {exc} (restore the database from a backup or move it "
                                 "away to start a new one)", file=shown_path(self.path)) from exc
        return int(cur.lastrowid)

    def _insert(self, verdict, query, entry_id, question, rank, score, confidence, ticket, origin):
        return self._conn.execute(
            "INSERT INTO feedback (created_at, verdict, query, entry_id, question, rank, score, confidence, ticket, origin)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                datetime.now(timezone.utc).isoformat(timespec="microseconds"),
                verdict,
                query,
                entry_id,
                question,
                None if rank is None else int(rank),
                None if score is None else float(score),
                None if confidence is None else float(confidence),
                ticket,
                origin,
            ),
        )

    def to_frame(self) -> pd.DataFrame:
        """Every row, oldest first, with columns :data:`COLUMNS`.

        ``id`` is an integer, ``created_at`` a UTC datetime; ``rank``, ``score`` and ``confidence``
        are numbers (floats with NaN once any row lacks them); ``question`` and ``ticket`` are
        missing (``None``/NaN) where they were not given.
        """
        df = self._read(lambda: pd.read_sql_query(f"SELECT {', '.join(COLUMNS)} FROM feedback ORDER BY id", self._conn))
        df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601")
        return df

    def accepted_alternates(self) -> dict[str, list[str]]:
        """Accepted queries per FAQ entry id, for ``TfidfRetriever().fit(kb, alternates=...)``.

        A (query, entry) pair counts when it was accepted more often than dismissed; queries are
        compared ignoring case and runs of whitespace, and the first-seen spelling is returned,
        cleaned with :func:`~assistant.tickets.clean_ticket` (a query pasted as a whole mail loses
        its greeting, signature and quoted mail; the retriever does not clean what it is given).
        Entries are in first-feedback order, queries in first-seen order.
        """
        votes: dict[tuple[str, str], list] = {}
        rows = self._read(lambda: self._conn.execute("SELECT entry_id, query, verdict FROM feedback ORDER BY id").fetchall())
        for entry_id, query, verdict in rows:
            key = (entry_id, " ".join(query.split()).casefold())
            v = votes.setdefault(key, [query, 0])
            v[1] += 1 if verdict == "accepted" else -1
        out: dict[str, list[str]] = {}
        for (entry_id, _), (query, net) in votes.items():
            if net > 0:
                out.setdefault(entry_id, []).append(clean_ticket(query))
        return out
