"""A knowledge-base folder's *manifest* (which files, their sizes, times and hashes) and the code's fingerprint.

:mod:`assistant.index` keeps the manifest of the folder an index was built from and compares it
with the folder's current one (:func:`changed`): a page, ``*.alternates.yaml``, ``synonyms.yaml``
or ``.faq.yaml`` that was added, removed or modified makes the index stale. Times are
nanoseconds; files modified within :data:`RACY_SECONDS` of a scan also get a SHA-256, because
their time alone cannot prove them unchanged (a same-size edit in the same clock tick).
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Mapping
from pathlib import Path

__all__ = ["scan", "changed", "code_fingerprint", "RACY_SECONDS", "SETTINGS_FILE"]

#: Files modified this recently (seconds) before a scan also get a content hash in the manifest.
RACY_SECONDS = 3.0

SETTINGS_FILE = ".faq.yaml"
_SYNONYMS_FILE = "synonyms.yaml"


def _relevant(name: str) -> bool:
    from .knowledge_base import ALTERNATES_SUFFIXES, FAQ_SUFFIXES

    lower = name.lower()
    return (lower.endswith(FAQ_SUFFIXES) or name.endswith(ALTERNATES_SUFFIXES)
            or name in (_SYNONYMS_FILE, SETTINGS_FILE))


def _sha256(path: Path) -> str | None:
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO or device named *.md would block or never end
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def scan(root: Path) -> dict[str, list]:
    """The folder's manifest: ``{relative path: [size, mtime_ns, sha256 or None]}`` of every file that
    can change the knowledge base or the retriever (FAQ pages, alternates, synonyms, ``.faq.yaml``).

    Folder links are not followed (as :func:`assistant.knowledge_base.find_faq_files`); a file
    that cannot be read is listed as ``[-1, -1, None]``.
    """
    now = time.time_ns()
    racy = int(RACY_SECONDS * 1e9)
    out: dict[str, list] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if not _relevant(name):
                continue
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            try:
                st = path.stat()
            except OSError:
                out[rel] = [-1, -1, None]
                continue
            digest = _sha256(path) if st.st_mtime_ns >= now - racy else None
            out[rel] = [st.st_size, st.st_mtime_ns, digest]
    return out


def _same(root: Path, rel: str, old: list | None, new: list | None) -> bool:
    """Whether the file ``rel`` is unchanged between two manifests (by size and time, and hash when recorded)."""
    if old is None or new is None:
        return old is None and new is None
    if old[0] != new[0] or old[1] != new[1]:
        return False
    if old[2] is None and new[2] is None:
        return True
    return (new[2] or _sha256(root / rel)) == (old[2] or _sha256(root / rel))


def changed(root: Path, old: Mapping[str, list], new: Mapping[str, list]) -> list[str]:
    return sorted(rel for rel in set(old) | set(new) if not _same(root, rel, old.get(rel), new.get(rel)))



_CODE: list[str] = []


def code_fingerprint() -> str:
    """Hash of the package's modules (path, size, modification time): an index written by other code,
    even of the same version (a development checkout), is rebuilt rather than trusted."""
    if not _CODE:
        here = Path(__file__).resolve().parent
        digest = hashlib.sha256()
        for path in sorted(here.rglob("*.py")):
            st = path.stat()
            digest.update(f"{path.relative_to(here).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        _CODE.append(digest.hexdigest()[:16])
    return _CODE[0]


