"""What a tickets path is before it is read: a regular file, not compressed or binary; Parquet text columns hold text.

Used by :class:`assistant.ticket_files.TicketReader`; each check raises
:class:`~assistant.problems.TicketsError` whose message names the file (and column) and says
what it is instead: a named pipe, a device, a looping or broken symbolic link, a gzip/bzip2/xz/zstd
file, binary data, or a Parquet column of numbers, booleans or timestamps.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

from .problems import TicketsError

__all__ = ["check_regular_file", "check_text_type", "looks_binary", "COMPRESSED"]

#: ``(magic bytes, name, what to do)`` of compressed files given as tickets.
COMPRESSED = ((b"\x1f\x8b", "gzip", "decompress (gunzip)"), (b"BZh", "bzip2", "decompress (bunzip2)"),
               (b"\xfd7zXZ\x00", "xz", "decompress (unxz)"), (b"\x28\xb5\x2f\xfd", "zstd", "decompress (unzstd)"))


def looks_binary(head: bytes) -> bool:
    """True when the first bytes hold NUL bytes or mostly control bytes (not a text export)."""
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 12))
    return control > max(2, len(head) // 20)


def check_regular_file(path: Path, shown: str) -> None:
    """Raise :class:`TicketsError` unless ``path`` is a regular file, saying what it is instead."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise TicketsError("is a symbolic link that loops (it never reaches a file)", file=shown) from None
        if os.path.islink(path):
            raise TicketsError("is a symbolic link to a file that does not exist", file=shown) from None
        if exc.errno == errno.EACCES:
            raise TicketsError("cannot be read (permission denied)", file=shown) from None
        raise TicketsError("no such tickets file", file=shown) from None
    if stat.S_ISREG(mode):
        return
    kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "not a regular file")
    raise TicketsError(f"is {kind}, not a tickets file (give a CSV or Parquet file)", file=shown)


def check_text_type(field: Any, shown: str) -> None:
    """Raise :class:`TicketsError` when a Parquet text column holds numbers, booleans, dates, ..."""
    import pyarrow as pa

    t = field.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t) or pa.types.is_null(t)
            or getattr(pa.types, "is_string_view", lambda _: False)(t)):
        return
    raise TicketsError(f"column {field.name!r} holds {t} values, not text; name the text column(s) with "
                       "--text-column (text_columns=...)", file=shown)
