"""The saved index: a fitted retriever and its knowledge base, kept on disk between runs.

:func:`load_index` returns ``(kb, retriever, info)`` for a knowledge-base folder. The first call
parses the folder and fits a :class:`~assistant.retrieval.TfidfRetriever`, then saves both; the
next calls read them back (no parsing, no fitting, no scikit-learn) as long as the folder is
unchanged. Nothing is pickled: the file is a ZIP archive holding ``header.json`` (format version,
package version, retriever parameters, the folder's manifest), ``kb.json`` (every page's entries
and problems) and one ``.npy`` file per array (:meth:`TfidfRetriever.to_state`), read with
``allow_pickle=False``.

Where: ``<index_dir>/<key>/index.npz``, ``index_dir`` being ``--index DIR``, else
``$FAQ_ASSISTANT_INDEX_DIR``, else ``$XDG_CACHE_HOME/faq-assistant`` (``~/.cache/faq-assistant``)
(:class:`assistant.config.Settings`); ``key`` hashes the folder's absolute path, the retriever's
parameters and any run-time alternates, so each combination has its own index.

When is it fresh: the header keeps the folder's *manifest*, the path, size and modification
time (nanoseconds) of every FAQ page, ``*.alternates.yaml``, ``synonyms.yaml`` and ``.faq.yaml``
under it (plus a SHA-256 of files modified within :data:`assistant.manifest.RACY_SECONDS` of the scan, whose time
alone cannot prove them unchanged). Any difference rebuilds: pages whose file and alternates
file are unchanged are reused, not parsed again (all are parsed again when a ``.faq.yaml``
changed), and the retriever is refitted.

Safety: the archive is written to a temporary file and renamed over the old one (readers see
the old or the new index, never half of one); builders take a lock file so two processes
building at once leave one good index (the second finds the first's index fresh and uses it).
An index that is corrupt, truncated (ZIP CRC checks every member), from another format or
package version, or inconsistent is rebuilt with a warning; an index folder that cannot be
written is a warning and the command still answers.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import glob
import hashlib
import io
import json
import os
import time
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .entries import FaqEntry
from .manifest import SETTINGS_FILE, changed, code_fingerprint, scan
from .problems import Problem

if TYPE_CHECKING:
    import numpy as np

    from .knowledge_base import KnowledgeBase, PageRecord
    from .retrieval import TfidfRetriever

__all__ = ["load_index", "load_saved_kb", "save_index", "scan", "IndexInfo", "index_file", "FORMAT_VERSION",
           "INDEX_FILE"]

#: Version of the file layout; an index of another version is rebuilt.
FORMAT_VERSION = 3

#: Name of the archive inside an index folder.
INDEX_FILE = "index.npz"

@dataclass
class IndexInfo:
    """What :func:`load_index` did.

    ``status``: ``"loaded"`` (fresh index read), ``"built"`` (no index yet), ``"rebuilt"`` (the
    folder changed, or the index was unusable: ``reason`` says why), ``"unsaved"`` (no index
    folder given, or it could not be written). ``path`` is the archive (``None`` when unsaved),
    ``entries`` the number of FAQ entries, ``pages_parsed``/``pages_reused`` how many pages were
    parsed / taken from the old index, ``seconds`` the wall time, ``size_bytes`` the archive's size.
    """

    status: str
    path: Path | None
    entries: int
    pages_parsed: int = 0
    pages_reused: int = 0
    seconds: float = 0.0
    size_bytes: int = 0
    reason: str = ""

    def to_text(self) -> str:
        """What ``faq-assistant index`` prints: status, time, entries, pages, size on disk, path."""
        from .rendering import plural

        pages = plural(self.pages_parsed + self.pages_reused, "page")
        size = f"{self.size_bytes / 1e6:.1f} MB" if self.size_bytes >= 100_000 else f"{self.size_bytes / 1e3:.1f} kB"
        entries = plural(self.entries, "entry", "entries")
        if self.status == "loaded":
            head = f"index is up to date: {entries} from {pages}, {size} on disk"
        elif self.status == "unsaved":
            return f"index not saved: {entries} from {pages} parsed and fitted in {self.seconds:.1f} s"
        else:
            head = (f"{self.status} the index in {self.seconds:.1f} s: {entries} from {pages} "
                    f"({self.pages_parsed:,} parsed, {self.pages_reused:,} unchanged), {size} on disk")
        return f"{head}\nindex: {self.path}"


#: Indexes kept per folder and parameters with run-time alternates (accepted feedback): each new set
#: of accepted answers gets its own index; older ones beyond this many are removed (:func:`_prune_feedback_indexes`).
KEEP_FEEDBACK_INDEXES = 2


def index_file(kb_root: str | Path, index_dir: str | Path, params: Mapping[str, Any] | None = None,
               alternates: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Path of the archive for the folder ``kb_root`` with retriever ``params`` and run-time ``alternates``.

    ``<index_dir>/<folder name>-<hash of folder and params>[-fb<hash of alternates>]/index.npz``."""
    key = json.dumps({"root": str(Path(kb_root).resolve()), "params": _params(params), "alternates": {}},
                     sort_keys=True, default=str)
    name = f"{_folder_name(kb_root)}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}"
    if alternates:
        alt = json.dumps({k: list(v) for k, v in alternates.items()}, sort_keys=True, default=str)
        name += f"-fb{hashlib.sha256(alt.encode('utf-8')).hexdigest()[:12]}"
    return Path(index_dir) / name / INDEX_FILE


def _prune_feedback_indexes(path: Path, keep: int = KEEP_FEEDBACK_INDEXES) -> None:
    """Keep ``path`` and the ``keep - 1`` newest indexes of its folder and parameters with other alternates;
    remove the others (an index in use elsewhere may stay: errors are ignored)."""
    import shutil

    stem = path.parent.name.rsplit("-fb", 1)[0]
    others = {}
    for f in path.parent.parent.glob(f"{glob.escape(stem)}-fb*/{INDEX_FILE}"):
        with contextlib.suppress(OSError):  # removed meanwhile
            others[f.parent] = f.stat().st_mtime
    others.pop(path.parent, None)
    for old in sorted(others, key=others.get, reverse=True)[max(0, keep - 1):]:
        shutil.rmtree(old, ignore_errors=True)


def _folder_name(kb_root: str | Path) -> str:
    """The readable part of the name of the folder of ``kb_root``'s indexes (before the key's hash)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(kb_root).resolve().name)[:40]


# --- (de)serialising -------------------------------------------------------------------------------


#: Front-matter values JSON lacks, as ``{tag: isoformat}`` (a datetime is tested before a date: it is one).
_TIMES = {"__datetime__": _dt.datetime, "__date__": _dt.date, "__time__": _dt.time}


def _json_default(value: Any) -> Any:
    for tag, kind in _TIMES.items():
        if isinstance(value, kind):
            return {tag: value.isoformat()}
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _json_hook(obj: dict) -> Any:
    if len(obj) == 1:
        (key, value), = obj.items()
        if key in _TIMES:
            return _TIMES[key].fromisoformat(value)
    return obj


def _kb_to_json(kb: KnowledgeBase) -> dict:
    return {"pages": [{"file": r.file, "doc_id": r.doc_id, "entries": [asdict(e) for e in r.entries],
                       "problems": [asdict(p) for p in r.problems]} for r in kb.pages.values()],
            "problems": [asdict(p) for p in kb.problems]}


def _kb_from_json(data: dict, root: Path) -> KnowledgeBase:
    from .knowledge_base import KnowledgeBase, PageRecord

    pages: dict[str, PageRecord] = {}
    entries: list[FaqEntry] = []
    for page in data["pages"]:
        record = PageRecord(page["file"], page["doc_id"], [FaqEntry(**e) for e in page["entries"]],
                            [Problem(**p) for p in page["problems"]])
        pages[record.file] = record
        entries.extend(record.entries)
    kb = KnowledgeBase(entries, [Problem(**p) for p in data["problems"]], root)
    kb.pages = pages
    return kb


def _write(path: Path, header: dict, kb_json: dict, arrays: Mapping[str, np.ndarray]) -> int:
    """Write the archive atomically (temporary file in the same folder, then rename). Returns its size."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr("header.json", json.dumps(header))  # ASCII: a non-UTF-8 file name round-trips as \udcXX
            zf.writestr("kb.json", json.dumps(kb_json, default=_json_default))  # ASCII too (lone surrogates)
            for name, array in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(array), allow_pickle=False)
                zf.writestr(f"{name}.npy", buf.getvalue())
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path.stat().st_size


class _Unusable(Exception):
    """The archive cannot be used; the message says why (shown in the rebuild warning)."""


def _read_header(zf: zipfile.ZipFile) -> dict:
    try:
        header = json.loads(zf.read("header.json"))
    except (KeyError, ValueError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _Unusable(f"unreadable ({type(exc).__name__}: {exc})") from None
    if not isinstance(header, dict):
        raise _Unusable("unreadable (header is not an object)")
    if header.get("format") != FORMAT_VERSION:
        raise _Unusable(f"written in format {header.get('format')!r}, this version reads format {FORMAT_VERSION}")
    if header.get("version") != __version__:
        raise _Unusable(f"written by faq-assistant {header.get('version')!r}, this is {__version__}")
    if header.get("code") != code_fingerprint():
        raise _Unusable("written by other code of faq-assistant (its modules changed since)")
    return header


def _read_rest(zf: zipfile.ZipFile, header: dict, with_arrays: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    import numpy as np

    names = header.get("arrays") if with_arrays else []
    try:
        kb_json = json.loads(zf.read("kb.json"), object_hook=_json_hook)
        arrays = {}
        for name in names:
            arrays[name] = np.lib.format.read_array(io.BytesIO(zf.read(f"{name}.npy")), allow_pickle=False)
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise _Unusable(f"unreadable ({type(exc).__name__}: {exc})") from None
    return kb_json, arrays


# --- locking ----------------------------------------------------------------------------------------


class _Lock:
    """An exclusive lock on ``<folder>/lock`` (``fcntl.flock``; no-op where fcntl is missing)."""

    def __init__(self, folder: Path):
        self.path = folder / "lock"
        self.fd: int | None = None

    def __enter__(self) -> "_Lock":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: the atomic rename still keeps the index whole
            return self
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.fd is not None:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# --- the entry point ---------------------------------------------------------------------------------


def _params(retriever_params: Mapping[str, Any] | None) -> dict[str, Any]:
    from .retrieval import TfidfRetriever
    from .retriever_state import PARAMS

    params = {name: getattr(TfidfRetriever(), name) for name in PARAMS}
    params.update(retriever_params or {})
    return params


def load_index(kb_path: str | Path | None = None, index_dir: str | Path | None = None, *,
               retriever_params: Mapping[str, Any] | None = None,
               alternates: Mapping[str, Sequence[str]] | None = None, progress: bool = False,
               force: bool = False, on_warning: Callable[[str], None] | None = None,
               ) -> tuple[KnowledgeBase, TfidfRetriever, IndexInfo]:
    """The knowledge base of ``kb_path`` and a retriever fitted on it, from the saved index when fresh.

    Parameters
    ----------
    kb_path : str or Path, optional
        The knowledge-base folder (default: the bundled one). A single markdown file is
        loaded and fitted without an index.
    index_dir : str or Path, optional
        Folder of saved indexes (``Settings.from_env().index_dir``); ``None``: load and fit, save nothing.
    retriever_params : mapping, optional
        ``TfidfRetriever(**retriever_params)``; part of the index key.
    alternates : mapping of entry id -> list of str, optional
        Passed to :meth:`TfidfRetriever.fit` (e.g. accepted feedback); part of the index key.
    progress : bool, default False
        Show a tqdm progress bar over the pages parsed (on stderr).
    force : bool, default False
        Rebuild even when the index is fresh (pages are still reused when unchanged).
    on_warning : callable(str), optional
        Receives "the index was rebuilt because ..." messages; default :func:`warnings.warn`.

    Returns
    -------
    (KnowledgeBase, TfidfRetriever, IndexInfo)

    Raises
    ------
    KnowledgeBaseError
        As :meth:`KnowledgeBase.load` (missing folder, no FAQ files) and :meth:`TfidfRetriever.fit`
        (no entries).
    """
    from .knowledge_base import KnowledgeBase, default_kb_path

    start = time.perf_counter()
    warn = on_warning or (lambda msg: warnings.warn(msg, stacklevel=3))
    root = Path(kb_path) if kb_path is not None else default_kb_path()
    params = _params(retriever_params)
    if index_dir is None or not root.is_dir():
        kb = KnowledgeBase.load(root)  # raises the knowledge base's own errors
        retriever = _fit(kb, params, alternates)
        return kb, retriever, IndexInfo("unsaved", None, len(kb), len(kb.pages), 0, time.perf_counter() - start)
    path = index_file(root, index_dir, params, alternates)
    fresh, old, reason = _look(path, root, params, force)  # old: header, kb json, arrays of a readable index
    if fresh is not None:
        return _loaded(fresh, path, start)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = _Lock(path.parent)
        lock.__enter__()
    except OSError as exc:
        warn(f"cannot write the index in {path.parent} ({exc.strerror or exc}); answering without saving it")
        kb = KnowledgeBase.load(root)
        return kb, _fit(kb, params, alternates), IndexInfo("unsaved", None, len(kb), len(kb.pages), 0,
                                                           time.perf_counter() - start)
    try:
        if not force:  # another process may have built it while this one waited
            fresh, newer, _ = _look(path, root, params, False)
            if fresh is not None:
                return _loaded(fresh, path, start)
            old = newer or old
        if reason:
            warn(reason)
        manifest = scan(root)  # before parsing: a page edited during the build makes the index stale
        reuse = _reusable(root, old, manifest)
        n_pages = sum(1 for rel in manifest if rel.lower().endswith((".md", ".mdx", ".markdown")))
        with _progress_bar(progress, max(0, n_pages - len(reuse)), f"parsing {root.name or root}") as bar:
            kb = KnowledgeBase.load(root, reuse=reuse, on_page=bar.update if progress else None)
        retriever = _fit(kb, params, alternates)
        reused = sum(1 for rel, r in kb.pages.items() if reuse.get(rel) is r)
        try:
            size = save_index(path, kb, retriever, manifest)
        except (OSError, ValueError) as exc:  # ValueError: a term the archive cannot hold; never a crash
            warn(f"cannot write the index {path} ({getattr(exc, 'strerror', None) or exc}); answering without saving it")
            return kb, retriever, IndexInfo("unsaved", None, len(kb), len(kb.pages) - reused, reused,
                                            time.perf_counter() - start)
        _clean_stale_temp(path)
        if alternates:
            _prune_feedback_indexes(path)
        status = "rebuilt" if (old is not None or reason) else "built"
        return kb, retriever, IndexInfo(status, path, len(kb), len(kb.pages) - reused, reused,
                                        time.perf_counter() - start, size, reason)
    finally:
        lock.__exit__()


def load_saved_kb(kb_path: str | Path, index_dir: str | Path | None) -> KnowledgeBase | None:
    """The knowledge base of the folder ``kb_path`` from its saved index (default retriever parameters,
    no run-time alternates: the one ``kb`` and ``ask`` save) when that index is fresh, else ``None``.

    Reads only the parsed pages (not the retriever's arrays) and never writes: for readers
    of the entries alone, such as ``lint``. ``None`` also for a single file, ``index_dir=None``,
    or an index that is missing, stale or unreadable (the caller parses the folder itself).
    """
    root = Path(kb_path)
    if index_dir is None or not root.is_dir():
        return None
    if not any(Path(index_dir).glob(f"{glob.escape(_folder_name(root))}-*/{INDEX_FILE}")):
        return None  # no index of this folder at all (and no need to import the retriever for its key)
    path = index_file(root, index_dir)
    try:
        with zipfile.ZipFile(path) as zf:
            header = _read_header(zf)
            if _stale(header, root, _params(None), scan(root)):
                return None
            kb_json, _ = _read_rest(zf, header, with_arrays=False)
        return _kb_from_json(kb_json, root)
    except (_Unusable, zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, TypeError, AttributeError):
        return None


def save_index(path: str | Path, kb: KnowledgeBase, retriever: TfidfRetriever, manifest: dict | None = None) -> int:
    """Write ``kb`` and its fitted ``retriever`` to the archive ``path`` (atomically). Returns its size in bytes.

    ``manifest`` is the folder's :func:`scan` taken before ``kb`` was loaded (default: scanned now).
    Raises ``OSError`` if the file cannot be written.
    """
    root = Path(kb.root)
    state_params, arrays = retriever.to_state()
    header = {"format": FORMAT_VERSION, "version": __version__, "code": code_fingerprint(), "root": str(root.resolve()),
              "params": state_params, "manifest": scan(root) if manifest is None else manifest,
              "arrays": sorted(arrays), "built": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    return _write(Path(path), header, _kb_to_json(kb), arrays)


def _fit(kb: KnowledgeBase, params: Mapping[str, Any], alternates) -> TfidfRetriever:
    from .problems import KnowledgeBaseError
    from .retrieval import TfidfRetriever

    if not len(kb):
        where = ", ".join(sorted({p.file for p in kb.problems if p.code == "no-entries"})) or str(kb.root)
        raise KnowledgeBaseError("the knowledge base has no FAQ entries (no question headings found)", file=where)
    return TfidfRetriever(**params).fit(kb, alternates=alternates)


def _look(path: Path, root: Path, params: dict, force: bool) -> tuple[tuple | None, tuple | None, str]:
    """``((kb, retriever) if fresh, (header, kb_json, arrays) if stale, why unusable)`` of the index at ``path``."""
    if not path.exists():
        return None, None, ""
    try:
        found = _open(path, root, scan(root), params, force)
    except _Unusable as exc:
        return None, None, f"saved index {path} is {exc}; rebuilding it"
    return (found[1:], None, "") if found[0] == "fresh" else (None, found[1], "")


def _loaded(fresh: tuple, path: Path, start: float) -> tuple[KnowledgeBase, TfidfRetriever, IndexInfo]:
    kb, retriever = fresh
    return kb, retriever, IndexInfo("loaded", path, len(kb), 0, len(kb.pages), time.perf_counter() - start,
                                    path.stat().st_size)


def _open(path: Path, root: Path, manifest: dict, params: dict, force: bool):
    """``("fresh", kb, retriever)``, ``("stale", (header, kb_json, arrays))``; raises :class:`_Unusable`."""
    from .retrieval import TfidfRetriever

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _Unusable(f"unreadable ({type(exc).__name__}: {exc})") from None
    with zf:
        header = _read_header(zf)
        stale = force or _stale(header, root, params, manifest)
        # A stale index is read only for its parsed pages (kb.json), not for its arrays.
        kb_json, arrays = _read_rest(zf, header, with_arrays=not stale)
    if stale:
        return ("stale", (header, kb_json, arrays))
    try:
        kb = _kb_from_json(kb_json, root)
        retriever = TfidfRetriever.from_state(header["params"], arrays, kb)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _Unusable(f"inconsistent ({type(exc).__name__}: {exc})") from None
    return ("fresh", kb, retriever)


def _stale(header: dict, root: Path, params: dict, manifest: dict) -> bool:
    """True when the index of ``header`` has other retriever ``params`` or ``root`` changed since
    (``manifest``: the folder now). Raises :class:`_Unusable` when the header lacks either."""
    old_manifest, saved = header.get("manifest"), header.get("params")
    if not isinstance(old_manifest, dict) or not isinstance(saved, dict):
        raise _Unusable("unreadable (no manifest or parameters)")
    saved = {k: v for k, v in saved.items() if k != "fitted"}
    return saved != json.loads(json.dumps(params, default=str)) or bool(changed(root, old_manifest, manifest))


def _reusable(root: Path, old: tuple[dict, dict, dict] | None, manifest: dict) -> dict[str, PageRecord]:
    """Pages of the old index whose file and alternates file are unchanged (none if a ``.faq.yaml`` changed)."""
    from .knowledge_base import ALTERNATES_SUFFIXES, PageRecord

    if old is None:
        return {}
    header, kb_json, _ = old
    old_manifest = header["manifest"]
    from .files import shown_path

    modified = {shown_path(rel) for rel in changed(root, old_manifest, manifest)}  # page records use shown paths
    if any(Path(rel).name == SETTINGS_FILE for rel in modified):
        return {}
    try:
        records = {p["file"]: p for p in kb_json["pages"]}
    except (KeyError, TypeError):
        return {}
    out: dict[str, PageRecord] = {}
    for rel, page in records.items():
        stem = rel[: -len(Path(rel).suffix)] if Path(rel).suffix else rel
        if rel in modified or any(stem + s in modified for s in ALTERNATES_SUFFIXES):
            continue
        try:
            out[rel] = PageRecord(rel, page["doc_id"], [FaqEntry(**e) for e in page["entries"]],
                                  [Problem(**p) for p in page["problems"]])
        except (KeyError, TypeError):
            continue
    return out


def _progress_bar(progress: bool, total: int, desc: str):
    """A tqdm bar over pages (no tqdm monitor thread: the fit may fork, see :mod:`assistant.features`), or a no-op."""
    if not progress:
        return contextlib.nullcontext()
    from tqdm import tqdm

    return type("Bar", (tqdm,), {"monitor_interval": 0})(total=total, desc=desc, unit=" pages", leave=False)


def _clean_stale_temp(path: Path, age: float = 3600.0) -> None:
    """Remove temporary files a killed builder left behind (older than ``age`` seconds)."""
    for tmp in path.parent.glob(f"{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - tmp.stat().st_mtime > age:
                tmp.unlink()
