"""Reading tickets files (assistant.ticket_files): messy CSV exports, Parquet, DataFrames, and the
problem (file, line, severity, code, message) each row that cannot be read as it is becomes."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from assistant.problems import Problem, TicketsError
from assistant.ticket_files import (FRAME_FILE, ROW_PROBLEM_CODES, TicketReader, choose_text_columns, read_tickets,
                                    tickets_from_frame)

HEADER = b"ticket_id,subject,body\n"


def write(tmp_path: Path, data: bytes, name: str = "tickets.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def found(problems: list[Problem]) -> list[tuple[int, str, str, str]]:
    """(line, severity, code, message) of each problem; every one is a Problem with a known code."""
    assert all(type(p) is Problem and p.code in ROW_PROBLEM_CODES for p in problems)
    return [(p.line, p.severity, p.code, p.message) for p in problems]


# --- reading messy exports: one test per kind of bad row -------------------------------------------


def test_bom_and_quoted_newlines_keep_rows_and_line_numbers(tmp_path):
    data = b"\xef\xbb\xbf" + HEADER + b'1,Hello,"line one\nline two\n\nline four"\n2,Second,plain\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert bad == []
    assert TicketReader(tmp_path / "tickets.csv").columns == ["ticket_id", "subject", "body"]
    assert frame["row"].tolist() == [2, 6]  # the second record starts on line 6
    assert frame["text"].tolist() == ["Hello\n\nline one\nline two\n\nline four", "Second\n\nplain"]
    assert frame["ref"].tolist() == ["tickets.csv:2", "tickets.csv:6"]
    assert list(frame.columns) == ["row", "ref", "text"]


def test_stray_carriage_returns_neither_split_nor_break_rows(tmp_path):
    data = HEADER + b'1,CR inside,"token\rinstead"\r\r\n2,CRLF,normal\r\n3,bare,"a\r\nb"\r\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert bad == []
    assert frame["text"].tolist() == ["CR inside\n\ntoken instead", "CRLF\n\nnormal", "bare\n\na\nb"]


def test_empty_lines_and_rows_without_text_are_reported_not_dropped(tmp_path):
    path = write(tmp_path, HEADER + b"1,Hi,there\n\n2,,\n,,\n3,Still,here\n")
    frame, bad = read_tickets(path)
    assert frame["row"].tolist() == [2, 6]
    assert found(bad) == [(3, "error", "empty-line", "empty line; skipped"),
                          (4, "error", "no-text", "no text in 'subject', 'body'; skipped"),
                          (5, "error", "empty-row", "empty row; skipped")]
    assert {p.file for p in bad} == {str(path)}
    assert str(bad[0]) == f"{path}:3: error: empty line; skipped [empty-line]"


def test_bytes_that_are_not_utf8_are_read_as_windows_1252_and_reported(tmp_path):
    data = HEADER + b"1,Caf\xe9,na\xefve question\n2,ok,fine\n"
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["text"].tolist()[0] == "Caf\u00e9\n\nna\u00efve question"
    assert found(bad) == [(2, "warning", "not-utf8", "byte 0xe9 is not UTF-8; read as Windows-1252; analyzed anyway")]


def test_huge_text_is_cut_and_reported(tmp_path):
    data = HEADER + b'1,Log,"' + b"x" * 5000 + b'"\n2,ok,fine\n'
    frame, bad = read_tickets(write(tmp_path, data), max_chars=1000)
    assert [len(t) for t in frame["text"]] == [1000, len("ok\n\nfine")]
    assert found(bad) == [(2, "warning", "text-too-long", "text is 5,005 characters; only the first 1,000 were analyzed")]


def test_records_over_the_byte_limit_are_skipped_and_reading_goes_on(tmp_path):
    big_quoted = b'1,Log,"' + b"line of a pasted log\n" * 200 + b'"\n'
    big_line = b"2,Dump," + b"y" * 9000 + b"\n"
    data = HEADER + big_quoted + big_line + b"3,ok,fine\n"
    frame, bad = read_tickets(write(tmp_path, data), max_record_bytes=2000)
    assert frame["row"].tolist() == [204] and frame["text"].tolist() == ["ok\n\nfine"]
    assert found(bad) == [(2, "error", "record-too-large", "record is over 2,000 bytes (lines 2-202); skipped"),
                          (203, "error", "record-too-large", "record is over 2,000 bytes (lines 203-203); skipped")]


def test_unclosed_quote_is_reported_and_the_lines_after_it_are_read(tmp_path):
    data = HEADER + b'1,Broken,"never closed\n2,ok,fine\n3,plain,also fine\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["row"].tolist() == [3, 4]
    assert frame["text"].tolist() == ["ok\n\nfine", "plain\n\nalso fine"]
    assert found(bad) == [(2, "error", "unclosed-quote", "a quote opened on this line is never closed; skipped this "
                                                         "line and read the lines after it as rows")]


def test_an_unclosed_quote_on_a_line_over_the_byte_limit_does_not_loop(tmp_path):
    # The line is skipped and reading goes on after it (it used to rewind to the same line forever).
    data = HEADER + b'1,Log,"never closed ' + b"x" * 3000 + b"\n2,ok,fine\n"
    frame, bad = read_tickets(write(tmp_path, data), max_record_bytes=2000)
    assert frame["row"].tolist() == [3] and frame["text"].tolist() == ["ok\n\nfine"]
    assert found(bad) == [(2, "error", "unclosed-quote", "a quote opened on this line is never closed; skipped this "
                                                         "line and read the lines after it as rows")]


def test_malformed_quoting_is_read_leniently_and_reported(tmp_path):
    data = HEADER + b'1,"Sub"ject,body text\n2,ok,fine\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["text"].tolist() == ["Subject\n\nbody text", "ok\n\nfine"]
    assert found(bad) == [(2, "warning", "malformed-quoting",
                           "malformed quoting (',' expected after '\"'), read leniently; analyzed anyway")]


def test_malformed_quoting_and_bytes_that_are_not_utf8_on_a_skipped_row(tmp_path):
    data = HEADER + b'1,"Sub"ject,body\n2,"  " ,\xe9\n3,ok,fine\n'
    frame, bad = read_tickets(write(tmp_path, data), ["subject"])
    assert frame["row"].tolist() == [2, 4]
    assert found(bad) == [
        (2, "warning", "malformed-quoting", "malformed quoting (',' expected after '\"'), read leniently; analyzed anyway"),
        (3, "error", "malformed-quoting", "malformed quoting (',' expected after '\"'), read leniently; skipped"),
        (3, "error", "not-utf8", "byte 0xe9 is not UTF-8; read as Windows-1252; skipped"),
        (3, "error", "no-text", "no text in 'subject'; skipped")]


def test_rows_with_the_wrong_number_of_fields(tmp_path):
    data = HEADER + b"1,Extra,body,surprise\n2,Short\n3\n"
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["text"].tolist() == ["Extra\n\nbody", "Short"]
    assert found(bad) == [(2, "warning", "field-count", "has 4 fields, the header has 3; analyzed anyway"),
                          (3, "warning", "field-count", "has 2 fields, the header has 3; analyzed anyway"),
                          (4, "error", "field-count", "has 1 fields, the header has 3; skipped"),
                          (4, "error", "no-text", "no text in 'subject', 'body'; skipped")]


def test_chunks_are_bounded_and_nothing_is_lost(tmp_path):
    rows = b"".join(b"%d,Subject %d,Body %d\n" % (i, i, i) for i in range(25))
    reader = TicketReader(write(tmp_path, HEADER + rows), chunksize=10)
    chunks = list(reader)
    assert [len(c) for c in chunks] == [10, 10, 5] and reader.bad_rows == []
    assert pd.concat(chunks)["row"].tolist() == list(range(2, 27))
    with pytest.raises(ValueError, match="chunksize must be at least 1, got 0"):
        TicketReader(tmp_path / "tickets.csv", chunksize=0)


def test_text_columns_semicolons_and_parquet(tmp_path):
    frame, _ = read_tickets(write(tmp_path, b"id;Question\n1;How do I enforce SSO?\n"))
    assert frame["text"].tolist() == ["How do I enforce SSO?"]
    frame, _ = read_tickets(write(tmp_path, HEADER + b"1,Sub,Body\n"), ["BODY"])
    assert frame["text"].tolist() == ["Body"]
    table = pd.DataFrame({"subject": ["One", None, "Three"], "body": [b"first", None, b"caf\xe9"]})
    path = tmp_path / "tickets.parquet"
    table.to_parquet(path)
    reader = TicketReader(path, chunksize=2)
    assert (reader.format, reader.columns, reader.text_columns) == ("parquet", ["subject", "body"], ["subject", "body"])
    frame, bad = read_tickets(path, chunksize=2)
    assert frame["row"].tolist() == [1, 3] and frame["ref"].tolist() == ["tickets.parquet:1", "tickets.parquet:3"]
    assert frame["text"].tolist() == ["One\n\nfirst", "Three\n\ncaf\u00e9"]
    assert found(bad) == [(2, "error", "empty-row", "empty row; skipped"),
                          (3, "warning", "not-utf8", "byte 0xe9 is not UTF-8; read as Windows-1252; analyzed anyway")]
    assert {p.file for p in bad} == {str(path)}


def test_a_csv_named_file_with_parquet_bytes_is_read_as_parquet(tmp_path):
    path = tmp_path / "export.csv"
    pd.DataFrame({"text": ["How do I enforce SSO?"]}).to_parquet(path)
    reader = TicketReader(path)
    assert reader.format == "parquet" and pd.concat(list(reader))["text"].tolist() == ["How do I enforce SSO?"]


@pytest.mark.parametrize("data, name, message", [
    (None, "missing.csv", "no such tickets file"),
    (b"", "tickets.csv", "the file is empty"),
    (b"\xff\xfet\x00e\x00", "tickets.csv", "UTF-16"),
    (b"PK\x03\x04rest", "tickets.csv", "spreadsheet"),
    (b"a,b\n1,2\n", "tickets.csv", "cannot tell which column holds the ticket text"),
    (b"\n\n", "tickets.csv", "line 1 is not a CSV header row"),
    (b"not parquet", "tickets.parquet", "not a readable Parquet file"),
    (b"plan: business\nsso: enforced\n", "org.yaml", r"org\.yaml: a \.yaml file cannot be read as tickets; accepted "
                                                     r"formats: CSV \(\.csv, \.tsv, \.txt\) or Parquet \(\.parquet, \.pq\)"),
    (b"PK\x03\x04rest", "tickets.xlsx", r"tickets\.xlsx: a \.xlsx file cannot be read as tickets"),
    (b"text\nhello\n", "tickets", "tickets: a file without a suffix cannot be read as tickets; accepted formats"),
])
def test_unreadable_tickets_raise_clear_errors_naming_the_file(tmp_path, data, name, message):
    path = tmp_path / name if data is None else write(tmp_path, data, name)
    with pytest.raises(TicketsError, match=message) as info:
        TicketReader(path)
    assert info.value.file == str(path) and str(info.value).startswith(f"{path}: ")


def test_tsv_and_txt_are_read_as_csv(tmp_path):
    frame, _ = read_tickets(write(tmp_path, b"id\tsubject\tbody\n1\tSSO\tHow do I enforce it?\n", "export.tsv"))
    assert frame["text"].tolist() == ["SSO\n\nHow do I enforce it?"]
    frame, _ = read_tickets(write(tmp_path, b"text\nHow do I enforce SSO?\n", "EXPORT.TXT"))
    assert frame["text"].tolist() == ["How do I enforce SSO?"]


def test_unknown_text_column_names_the_file_and_the_columns(tmp_path):
    path = write(tmp_path, HEADER)
    with pytest.raises(TicketsError) as info:
        TicketReader(path, ["nope"])
    assert str(info.value) == f"{path}: no column 'nope' in the tickets; the columns are: 'ticket_id', 'subject', 'body'"


def test_choose_text_columns():
    assert choose_text_columns(["id", "Subject ", "BODY"]) == [1, 2]
    assert choose_text_columns(["id", "Description", "message"]) == [1]
    assert choose_text_columns(["only"]) == [0]
    assert choose_text_columns(["a", "b"], [" B "]) == [1]
    with pytest.raises(TicketsError, match=r"^cannot tell which column holds the ticket text; name it with "
                                           r"--text-column \(text_columns=\.\.\.\); the columns are: 'a', 'b'$"):
        choose_text_columns(["a", "b"])


def test_personal_data_is_redacted_as_it_is_read(tmp_path):
    data = (HEADER + b'1,Login,"Mail jane.doe@acme.example or call +1 (415) 555-0199 today. '
            b'My token dckr_pat_abcdefghijklmnopqrstuvwx fails."\n')
    frame, _ = read_tickets(write(tmp_path, data))
    text = frame["text"][0]
    assert "[email]" in text and "[phone]" in text and "[token]" in text
    assert not re.search(r"jane|0199|dckr_pat", text)


MESSY = [  # one record of each kind the tests above read, plus clean ones, CRLF and quoted line breaks
    b'1,Hello,"line one\nline two\n\nline four"\n', b'2,CR inside,"token\rinstead"\r\r\n', b"3,CRLF,normal\r\n",
    b'4,bare,"a\r\nb"\r\n', b"\n", b"5,,\n", b",,\n", b"6,Caf\xe9,na\xefve\n", b'7,"Sub"ject,body text\n',
    b'8,Log,"' + b"line of a pasted log\n" * 200 + b'"\n', b"9,Dump," + b"y" * 9000 + b"\n",
    b'10,"Quoted ""word""",x\n',
    b"11,Extra,body,surprise\n", b"12,Short\n", b"13,nul\x00byte,x\n", b'14,Broken,"never closed\n',
    b"15,ok,fine\n", b"16,last,no line break",
]


@pytest.mark.parametrize("block", [1, 7, 64, 300, 4096, 1 << 20])
def test_the_fast_block_reader_reads_every_record_as_the_exact_reader_does(tmp_path, block):
    from assistant.ticket_csv import csv_records

    clean = b"".join(b'%d,Subject %d,"Body\nof %d, ""quoted"""\n' % (i, i, i) for i in range(30))
    for data in (b"\xef\xbb\xbf" + HEADER + clean + b"".join(MESSY) + clean,
                 HEADER + clean + b"".join(MESSY[:-3]), HEADER + clean.replace(b"\n", b"\r\n")):
        path = write(tmp_path, data)
        with open(path, "rb") as fh:
            exact = list(csv_records(fh, 2000, ",", block_bytes=0))
        with open(path, "rb") as fh:
            fast = list(csv_records(fh, 2000, ",", block_bytes=block))
            assert fh.read() == b""
        assert fast == exact and len(exact) > 30


@pytest.mark.parametrize("text, redacted", [  # each kind at the very start or end of a ticket, on any line
    ("+1 (415) 555-0199 call me\nthanks", "[phone] call me\nthanks"),
    ("Mail\nana@acme.example", "Mail\n[email]"),
    ("x\uff20acme.example and b@c.example\nbye", "[email] and [email]\nbye"),
    ("line one\n12 Main Street\ncall 030 1234 5678", "line one\n[address]\ncall [phone]"),
    ("v 4.28.0 at Hauptstra\u00dfe 5", "v 4.28.0 at [address]"),
    ("a+14155550199", "a+[phone]"),
    ("card 4111111111111111", "card [card]"),
])
def test_redaction_of_tickets_finds_data_on_any_line(tmp_path, text, redacted):
    frame = pd.DataFrame({"text": [text]})
    assert tickets_from_frame(frame)[0]["text"].tolist() == [redacted]


def test_redact_false_leaves_short_texts_to_the_caller_and_says_which(tmp_path):
    from assistant.ticket_files import redact_and_cut, text_too_long

    data = HEADER + b"1,Mail,ana@acme.example\n2,Log," + b"x" * 60 + b" bo@acme.example\n"
    path = write(tmp_path, data)
    reader = TicketReader(path, redact=False, max_chars=50)
    (chunk,) = list(reader)
    assert list(chunk.columns) == ["row", "ref", "text", "redacted"]
    assert chunk.attrs == {"file": str(path), "max_chars": 50}
    assert chunk["text"][0] == "Mail\n\nana@acme.example" and not chunk["redacted"][0]  # still to redact
    assert chunk["redacted"][1] and len(chunk["text"][1]) == 50  # over max_chars: redacted and cut here
    assert [p.code for p in reader.bad_rows] == ["text-too-long"]
    assert redact_and_cut(chunk["text"][0], 50) == ("Mail\n\n[email]", 13)
    assert text_too_long("f.csv", 3, 60, 50).message == "text is 60 characters; only the first 50 were analyzed"
    expected, _ = read_tickets(path, max_chars=50)
    assert expected["text"][1] == chunk["text"][1]


# --- DataFrames in memory ---------------------------------------------------------------------------


def test_tickets_from_a_frame_follow_the_same_rules():
    frame = pd.DataFrame({"row": [10, 11, 12, 13], "ref": ["a", "b", "c", "d"],
                          "subject": ["Hi", None, "x", None], "body": ["mail jane@acme.example", None, "y" * 30, 5.0]})
    tickets, problems = tickets_from_frame(frame, max_chars=20)
    assert tickets.to_dict("list") == {"row": [10, 12, 13], "ref": ["a", "c", "d"],
                                       "text": ["Hi\n\nmail [email]", "x\n\n" + "y" * 17, "5.0"]}
    assert [(p.file, p.line, p.severity, p.code, p.message) for p in problems] == [
        (FRAME_FILE, 11, "error", "no-text", "no text in 'subject', 'body'; skipped"),
        (FRAME_FILE, 12, "warning", "text-too-long", "text is 33 characters; only the first 20 were analyzed")]
    plain, none = tickets_from_frame(pd.DataFrame({"anything": ["How do I enforce SSO?", ""]}))
    assert plain.to_dict("list") == {"row": [1], "ref": ["1"], "text": ["How do I enforce SSO?"]}
    assert found(none) == [(2, "error", "empty-row", "empty row; skipped")]
