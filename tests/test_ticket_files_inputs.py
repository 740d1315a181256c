"""Tickets paths that are not a plain text export: each is an error naming the file and what it is."""

from __future__ import annotations

import bz2
import codecs
import gzip
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from assistant import cli
from assistant.problems import TicketsError
from assistant.ticket_files import TicketReader

CSV = b"subject,body\nSSO,How do service accounts work with SSO?\n"


def test_a_fifo_is_named_as_a_fifo(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    fifo = tmp_path / "tickets.csv"
    os.mkfifo(fifo)
    with pytest.raises(TicketsError, match=r"tickets\.csv: is a named pipe \(FIFO\), not a tickets file"):
        TicketReader(fifo)


def test_a_device_is_named_as_a_device(tmp_path):
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    link = tmp_path / "tickets.csv"
    link.symlink_to("/dev/null")
    with pytest.raises(TicketsError, match="tickets.csv: is a device, not a tickets file"):
        TicketReader(link)


def test_looping_and_broken_symlinks_say_so(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(TicketsError, match="a.csv: is a symbolic link that loops"):
        TicketReader(a)
    broken = tmp_path / "broken.csv"
    broken.symlink_to(tmp_path / "gone.csv")
    with pytest.raises(TicketsError, match="broken.csv: is a symbolic link to a file that does not exist"):
        TicketReader(broken)
    with pytest.raises(TicketsError, match="missing.csv: no such tickets file"):
        TicketReader(tmp_path / "missing.csv")


@pytest.mark.parametrize("data, kind", [(gzip.compress(CSV), "gzip"), (bz2.compress(CSV), "bzip2")])
def test_a_compressed_csv_says_so_without_echoing_its_bytes(tmp_path, capsys, data, kind):
    path = tmp_path / "tickets.csv"
    path.write_bytes(data)
    with pytest.raises(TicketsError, match=f"the file is {kind}-compressed"):
        TicketReader(path)
    assert cli.main(["coverage", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"is {kind}-compressed" in err and "cannot tell which column" not in err
    assert all(ch.isprintable() or ch == "\n" for ch in err)


def test_a_binary_csv_says_so_without_echoing_its_bytes(tmp_path, capsys):
    path = tmp_path / "tickets.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(TicketsError, match="holds binary data, not CSV text"):
        TicketReader(path)
    path.write_bytes(b"\x01\x02\x03\x04\x05\x06\x07\x08,\x0e\x0f\x10\x11\x12\x13\x14\x15\n" * 5)
    assert cli.main(["coverage", str(path)]) == 2
    err = capsys.readouterr().err
    assert "holds binary data" in err and "\x01" not in err and "cannot tell which column" not in err


def test_utf32_is_not_called_utf16(tmp_path):
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be")):
        path = tmp_path / "tickets.csv"
        path.write_bytes(bom + CSV.decode().encode(codec))
        with pytest.raises(TicketsError, match="the file is UTF-32; export it as UTF-8 CSV"):
            TicketReader(path)
    path.write_bytes(codecs.BOM_UTF16_LE + CSV.decode().encode("utf-16-le"))
    with pytest.raises(TicketsError, match="the file is UTF-16; export it as UTF-8 CSV"):
        TicketReader(path)


@pytest.mark.parametrize("values, type_name", [
    ([1, 2], "int64"), ([True, False], "bool"), ([1.5, 2.5], "double"),
    (pd.to_datetime(["2025-01-01", "2025-01-02"]), "timestamp"),
])
def test_a_parquet_text_column_of_other_values_is_an_error_naming_it(tmp_path, values, type_name):
    path = tmp_path / "tickets.parquet"
    pq.write_table(pa.table({"text": pa.array(values)}), path)
    with pytest.raises(TicketsError, match=rf"tickets\.parquet: column 'text' holds {type_name}\S* values, not text"):
        TicketReader(path)


def test_parquet_string_dictionary_and_null_columns_are_read(tmp_path):
    path = tmp_path / "tickets.parquet"
    table = pa.table({"subject": pa.array(["SSO", "Billing"]).dictionary_encode(),
                      "body": pa.array(["How do service accounts work with SSO?", None])})
    pq.write_table(table, path)
    frame = pd.concat(list(TicketReader(path)))
    assert frame["text"].tolist() == ["SSO\n\nHow do service accounts work with SSO?", "Billing"]
