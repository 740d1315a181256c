"""Coverage on a Dask cluster: each tickets file is scored on a worker, only tallies come back.

Needs the ``[dask]`` extra (``dask[dataframe]``, ``distributed``). :func:`analyze_coverage_dask`
takes the same tickets files as :func:`~assistant.coverage.analyze_coverage` (a path or a glob of
CSV/Parquet files, local or any fsspec URL such as ``s3://bucket/tickets/*.parquet``), sends the
fitted retriever to every worker once (``Client.scatter(..., broadcast=True)``), reads and scores
each file on a worker with the same reader and scoring step as the local engine
(:class:`~assistant.ticket_files.TicketReader`, :func:`~assistant.coverage.stream.score_texts`)
and gets back per file a :class:`~assistant.coverage.stream.CoverageTally` with no per-ticket
rows: counts, hits per entry, overlapping pairs, a confidence histogram, the bad rows and at most
``sample_size`` uncovered tickets. The tallies merge into the same numbers, and the same
uncovered-ticket sample, as the local engine's; the gaps are clustered on the client.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from typing import Any

from ..problems import TicketsError
from .report import DEFAULT_MARGIN, DEFAULT_MIN_CONFIDENCE, CoverageReport
from .stream import DEFAULT_SAMPLE_SIZE, CoverageTally, score_texts

__all__ = ["analyze_coverage_dask", "list_ticket_files", "DASK_MISSING"]

#: The error when the extra is not installed.
DASK_MISSING = ('--engine dask needs the [dask] extra: pip install "faq-assistant[dask]" '
                "(dask[dataframe] and distributed)")


def list_ticket_files(pattern: str) -> list[str]:
    """The tickets files of ``pattern`` (a path, a glob, or an fsspec URL with or without a glob), sorted.

    Raises :class:`TicketsError` when nothing matches.
    """
    if "://" not in pattern:
        from .analysis import ticket_paths

        files = [str(p.resolve()) for p in ticket_paths(pattern)]
        if len(files) == 1 and not os.path.isfile(files[0]):
            raise TicketsError("no such tickets file", file=pattern)
        return files
    import fsspec

    fs, path = fsspec.core.url_to_fs(pattern)
    found = sorted(fs.glob(path)) if any(c in path for c in "*?[") else ([path] if fs.isfile(path) else [])
    if not found:
        raise TicketsError("no tickets file matches this URL", file=pattern)
    return [fs.unstrip_protocol(p) for p in found]


def _tally_file(file: str, retriever: Any, text_columns: Sequence[str] | None, min_confidence: float,
                margin: float, sample_size: int, chunksize: int, reader_options: dict[str, Any]) -> tuple:
    """On a worker: read and score one file -> ``(CoverageTally without rows, bad rows, error or None)``."""
    from pathlib import PurePosixPath

    from ..ticket_files import TicketReader

    tally = CoverageTally([e.id for e in retriever.entries_], min_confidence, margin, sample_size=sample_size,
                          keep_tickets=0)
    local = file
    if "://" in file and not file.startswith("file://"):
        import fsspec

        cache = os.path.join(tempfile.gettempdir(), "faq-assistant-dask")
        local = fsspec.open_local(f"simplecache::{file}", simplecache={"cache_storage": cache})
    elif file.startswith("file://"):
        local = file[len("file://"):]
    try:
        reader = TicketReader(local, text_columns, chunksize=chunksize, progress=False, **reader_options)
    except TicketsError as exc:
        return tally, [], f"{file}: {exc.message}"
    name = PurePosixPath(file).name
    for chunk in reader:
        refs = [f"{name}:{r}" for r in chunk["row"]]
        tally.add(score_texts(retriever, chunk["row"].tolist(), refs, chunk["text"].tolist()))
    return tally, reader.bad_rows, None


def analyze_coverage_dask(tickets: str, retriever: Any, *, scheduler: str | None = None,
                          text_columns: Sequence[str] | None = None,
                          min_confidence: float = DEFAULT_MIN_CONFIDENCE, margin: float = DEFAULT_MARGIN,
                          sample_size: int = DEFAULT_SAMPLE_SIZE, chunksize: int = 5000,
                          gap_options: dict[str, Any] | None = None, client: Any = None,
                          **reader_options: Any) -> CoverageReport:
    """The coverage report of ``tickets`` computed on a Dask cluster (see the module docstring).

    Parameters
    ----------
    tickets : str
        A tickets file, a glob of them, or an fsspec URL (``s3://...``, ``gcs://...``,
        ``file:///...``); every worker must be able to read it.
    retriever : TfidfRetriever
        A fitted retriever; sent to each worker once.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); default: a ``LocalCluster``
        with one single-threaded worker process per core, closed afterwards.
    client : distributed.Client, optional
        An existing client (then ``scheduler`` is ignored and the client is left open).
    text_columns, min_confidence, margin, sample_size, chunksize, gap_options, **reader_options
        As in :func:`~assistant.coverage.analyze_coverage`.

    Returns
    -------
    CoverageReport
        Always a summary report (:attr:`CoverageReport.summary` set; :attr:`~CoverageReport.tickets`
        holds the uncovered-ticket sample), whose counts, hits and sample equal the local engine's.

    Raises
    ------
    FaqAssistantError
        :class:`~assistant.problems.TicketsError` when no file matches or a file cannot be read
        as tickets (naming it), or the extra is missing (:data:`DASK_MISSING`).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise TicketsError(DASK_MISSING) from None
    from .analysis import entries_frame

    files = list_ticket_files(str(tickets))
    entries = entries_frame(retriever)
    total = CoverageTally(entries["id"].tolist(), min_confidence, margin, sample_size=sample_size, keep_tickets=0)
    cluster = None
    own = client is None
    if own:
        if scheduler:
            client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
    try:
        shared = client.scatter(retriever, broadcast=True)
        futures = client.map(_tally_file, files, retriever=shared, text_columns=text_columns,
                             min_confidence=min_confidence, margin=margin, sample_size=sample_size,
                             chunksize=chunksize, reader_options=reader_options, pure=False)
        bad_rows = []
        for future in futures:  # in file order, so the bad rows are listed as the local engine lists them
            tally, problems, error = future.result()
            if error:
                raise TicketsError(error)
            total.merge(tally)
            bad_rows += problems
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return CoverageReport.from_tally(total, entries, bad_rows, gap_options=gap_options)
