"""Coverage of tickets by the knowledge base (issue 6): reading messy exports, coverage, gaps,
overlaps, redaction in every output, plots, HTML, the CLI, the widget and the notebook."""

from __future__ import annotations

import importlib.util
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from matplotlib.figure import Figure
from nbclient import NotebookClient

from assistant import TfidfRetriever, cli
from assistant.coverage import (DEFAULT_MARGIN, BadRow, CoverageReport, TicketReader, TicketsError, analyze_coverage,
                                figure_png, find_gaps, plot_confidence, plot_gaps, plot_hits, questions_as_tickets,
                                read_tickets)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample_tickets.csv"
NOTEBOOK = ROOT / "notebooks" / "coverage_report.ipynb"

HEADER = b"ticket_id,subject,body\n"


def write(tmp_path: Path, data: bytes, name: str = "tickets.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def reasons(bad: list[BadRow]) -> list[tuple[int, str]]:
    return [(b.row, b.reason) for b in bad]


# --- reading messy exports: one test per kind of bad row -------------------------------------------


def test_bom_and_quoted_newlines_keep_rows_and_line_numbers(tmp_path):
    data = b"\xef\xbb\xbf" + HEADER + b'1,Hello,"line one\nline two\n\nline four"\n2,Second,plain\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert bad == []
    assert TicketReader(tmp_path / "tickets.csv").columns == ["ticket_id", "subject", "body"]
    assert frame["row"].tolist() == [2, 6]  # the second record starts on line 6
    assert frame["text"].tolist() == ["Hello\n\nline one\nline two\n\nline four", "Second\n\nplain"]
    assert frame["ref"].tolist() == ["tickets.csv:2", "tickets.csv:6"]


def test_stray_carriage_returns_neither_split_nor_break_rows(tmp_path):
    data = HEADER + b'1,CR inside,"token\rinstead"\r\r\n2,CRLF,normal\r\n3,bare,"a\r\nb"\r\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert bad == []
    assert frame["text"].tolist() == ["CR inside\n\ntoken instead", "CRLF\n\nnormal", "bare\n\na\nb"]


def test_empty_lines_and_rows_without_text_are_reported_not_dropped(tmp_path):
    data = HEADER + b"1,Hi,there\n\n2,,\n,,\n3,Still,here\n"
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["row"].tolist() == [2, 6]
    assert reasons(bad) == [(3, "empty line; skipped"), (4, "no text in 'subject', 'body'; skipped"),
                            (5, "empty row; skipped")]


def test_bytes_that_are_not_utf8_are_read_as_windows_1252_and_reported(tmp_path):
    data = HEADER + b"1,Caf\xe9,na\xefve question\n2,ok,fine\n"
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["text"].tolist()[0] == "Caf\u00e9\n\nna\u00efve question"
    assert reasons(bad) == [(2, "byte 0xe9 is not UTF-8; read as Windows-1252; analysed anyway")]


def test_huge_text_is_cut_and_reported(tmp_path):
    data = HEADER + b'1,Log,"' + b"x" * 5000 + b'"\n2,ok,fine\n'
    frame, bad = read_tickets(write(tmp_path, data), max_chars=1000)
    assert [len(t) for t in frame["text"]] == [1000, len("ok\n\nfine")]
    assert reasons(bad) == [(2, "text is 5,005 characters; only the first 1,000 were analysed")]


def test_records_over_the_byte_limit_are_skipped_and_reading_goes_on(tmp_path):
    big_quoted = b'1,Log,"' + b"line of a pasted log\n" * 200 + b'"\n'
    big_line = b"2,Dump," + b"y" * 9000 + b"\n"
    data = HEADER + big_quoted + big_line + b"3,ok,fine\n"
    frame, bad = read_tickets(write(tmp_path, data), max_record_bytes=2000)
    assert frame["row"].tolist() == [204] and frame["text"].tolist() == ["ok\n\nfine"]
    assert reasons(bad) == [(2, "record is over 2,000 bytes (lines 2-202); skipped"),
                            (203, "record is over 2,000 bytes (lines 203-203); skipped")]


def test_unclosed_quote_is_reported_and_the_lines_after_it_are_read(tmp_path):
    data = HEADER + b'1,Broken,"never closed\n2,ok,fine\n3,plain,also fine\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["row"].tolist() == [3, 4]
    assert frame["text"].tolist() == ["ok\n\nfine", "plain\n\nalso fine"]
    assert reasons(bad) == [(2, "a quote opened on this line is never closed; skipped this line and read "
                                "the lines after it as rows")]


def test_malformed_quoting_is_read_leniently_and_reported(tmp_path):
    data = HEADER + b'1,"Sub"ject,body text\n2,ok,fine\n'
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["text"].tolist() == ["Subject\n\nbody text", "ok\n\nfine"]
    assert len(bad) == 1 and bad[0].row == 2 and bad[0].reason.startswith("malformed quoting (")
    assert bad[0].reason.endswith("read leniently; analysed anyway")


def test_rows_with_the_wrong_number_of_fields(tmp_path):
    data = HEADER + b"1,Extra,body,surprise\n2,Short\n3\n"
    frame, bad = read_tickets(write(tmp_path, data))
    assert frame["text"].tolist() == ["Extra\n\nbody", "Short"]
    assert reasons(bad) == [(2, "has 4 fields, the header has 3; analysed anyway"),
                            (3, "has 2 fields, the header has 3; analysed anyway"),
                            (4, "has 1 fields, the header has 3; skipped"),
                            (4, "no text in 'subject', 'body'; skipped")]


def test_chunks_are_bounded_and_nothing_is_lost(tmp_path):
    rows = b"".join(b"%d,Subject %d,Body %d\n" % (i, i, i) for i in range(25))
    reader = TicketReader(write(tmp_path, HEADER + rows), chunksize=10)
    sizes = [len(c) for c in reader]
    assert sizes == [10, 10, 5] and reader.bad_rows == []


def test_text_columns_semicolons_and_parquet(tmp_path):
    frame, _ = read_tickets(write(tmp_path, b"id;Question\n1;How do I enforce SSO?\n"))
    assert frame["text"].tolist() == ["How do I enforce SSO?"]
    frame, _ = read_tickets(write(tmp_path, HEADER + b"1,Sub,Body\n"), ["BODY"])
    assert frame["text"].tolist() == ["Body"]
    table = pd.DataFrame({"subject": ["One", None, "Three"], "body": [b"first", None, b"caf\xe9"]})
    path = tmp_path / "tickets.parquet"
    table.to_parquet(path)
    frame, bad = read_tickets(path, chunksize=2)
    assert frame["row"].tolist() == [1, 3]
    assert frame["text"].tolist() == ["One\n\nfirst", "Three\n\ncaf\u00e9"]
    assert reasons(bad) == [(2, "empty row; skipped"),
                            (3, "byte 0xe9 is not UTF-8; read as Windows-1252; analysed anyway")]


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
def test_unreadable_tickets_raise_clear_errors(tmp_path, data, name, message):
    path = tmp_path / name if data is None else write(tmp_path, data, name)
    with pytest.raises(TicketsError, match=message):
        TicketReader(path)


def test_tsv_and_txt_are_read_as_csv(tmp_path):
    frame, _ = read_tickets(write(tmp_path, b"id\tsubject\tbody\n1\tSSO\tHow do I enforce it?\n", "export.tsv"))
    assert frame["text"].tolist() == ["SSO\n\nHow do I enforce it?"]
    frame, _ = read_tickets(write(tmp_path, b"text\nHow do I enforce SSO?\n", "EXPORT.TXT"))
    assert frame["text"].tolist() == ["How do I enforce SSO?"]


def test_unknown_text_column_names_the_columns(tmp_path):
    with pytest.raises(TicketsError, match=r"no column 'nope' in the tickets; the columns are: 'ticket_id', 'subject', 'body'"):
        TicketReader(write(tmp_path, HEADER), ["nope"])


def test_personal_data_is_redacted_as_it_is_read(tmp_path):
    data = (HEADER + b'1,Login,"Mail jane.doe@acme.example or call +1 (415) 555-0199 today. '
            b'My token dckr_pat_abcdefghijklmnopqrstuvwx fails."\n')
    frame, _ = read_tickets(write(tmp_path, data))
    text = frame["text"][0]
    assert "[email]" in text and "[phone]" in text and "[token]" in text
    assert not re.search(r"jane|0199|dckr_pat", text)


# --- analysis ---------------------------------------------------------------------------------------

COVERED = [
    "Is DNS verification required to enable SSO?",
    "How do service accounts work with SSO?",
    "Does iEchor SSO support authenticating through the command line?",
]
GAP_INVOICE = ["Where do I download the invoice PDF for March?", "Our invoice PDF shows the wrong VAT number",
               "Please resend the March invoice PDF"]
GAP_RATE = ["Kubernetes pulls fail: toomanyrequests pull rate limit", "What is the pull rate limit for anonymous pulls?",
            "We hit the pull rate limit from our runners"]


@pytest.fixture(scope="module")
def report(retriever) -> CoverageReport:
    return analyze_coverage(COVERED + GAP_INVOICE + GAP_RATE + ["Bananas are yellow"], retriever, margin=1.0)


def test_per_ticket_best_entry_confidence_and_covered(report, retriever, kb):
    t = report.tickets
    assert list(t.columns)[:3] == ["row", "ref", "text"] and t["row"].tolist() == list(range(1, 11))
    assert t["covered"].tolist() == [True] * 3 + [False] * 7
    assert t["best_question"].tolist()[:3] == COVERED
    assert t.loc[0, "best_id"] == kb.find_question(COVERED[0]).id
    assert (report.n_tickets, report.n_covered, report.coverage_rate) == (10, 3, 0.3)
    # "covered" at the default threshold is the retriever's own answering threshold.
    for text, covered in zip(t["text"], t["covered"]):
        assert covered == (retriever.search(text, top_k=1).best.score >= retriever.threshold)


def test_hits_per_entry_include_entries_no_ticket_hit(report, kb):
    assert len(report.entries) == len(kb) and set(report.entries["id"]) == {e.id for e in kb}
    hits = dict(zip(report.entries["question"], report.entries["hits"]))
    assert all(hits[q] == 1 for q in COVERED)
    assert sum(hits.values()) == 3 and sorted(hits.values(), reverse=True) == report.entries["hits"].tolist()
    assert (report.entries["hits"] == 0).sum() == len(kb) - 3


def test_gaps_group_uncovered_tickets_by_topic(report):
    labels = {tuple(sorted(g.terms[:2])) for g in report.gaps}
    assert [g.size for g in report.gaps] == [3, 3]
    assert any("invoice" in g.terms for g in report.gaps) and any("pull" in g.terms for g in report.gaps)
    assert all(len(g.examples) >= 1 and g.label == " / ".join(g.terms[:3]) for g in report.gaps)
    t = report.tickets
    assert t.loc[t["text"] == "Bananas are yellow", "gap"].item() == -1  # a topic of one is no gap
    assert (t.loc[t["covered"], "gap"] == -1).all() and len(labels) == 2


def test_ambiguous_tickets_become_overlapping_entry_pairs(retriever):
    tickets = COVERED + ["Do service accounts need a PAT to use the CLI when SSO is enforced?"]
    wide = analyze_coverage(tickets, retriever, margin=1.0)
    assert wide.tickets["ambiguous"].tolist() == wide.tickets["covered"].tolist()
    pairs = wide.ambiguous_pairs
    assert pairs["count"].sum() == wide.n_covered and (pairs["a"] < pairs["b"]).all()
    t = wide.tickets[wide.tickets["covered"]]
    expected = {tuple(sorted(p)) for p in zip(t["best_id"], t["second_id"])}
    assert set(zip(pairs["a"], pairs["b"])) == expected
    narrow = wide.with_threshold(0.5, margin=0.0)
    assert narrow.tickets["ambiguous"].tolist() == (narrow.tickets["covered"] & (narrow.tickets["margin"] <= 0)).tolist()


def test_margin_defaults_to_the_retrievers_min_margin(kb):
    assert analyze_coverage(["How do service accounts work with SSO?"], TfidfRetriever().fit(kb)).margin == DEFAULT_MARGIN
    strict = TfidfRetriever(min_margin=0.07).fit(kb)
    assert analyze_coverage(["How do service accounts work with SSO?"], strict).margin == 0.07


def test_with_threshold_rejudges_without_searching_again(report):
    everything = report.with_threshold(0.0)
    assert everything.n_covered == report.n_tickets and everything.gaps == []
    assert int(everything.entries["hits"].sum()) == report.n_tickets
    nothing = report.with_threshold(1.0)
    assert nothing.n_covered == 0 and (nothing.entries["hits"] == 0).all()
    assert report.n_covered == 3  # the original is untouched
    with pytest.raises(ValueError, match=r"threshold is a confidence in \[0, 1\], got 1.5"):
        report.with_threshold(1.5)
    with pytest.raises(ValueError, match="margin must be >= 0"):
        report.with_threshold(0.5, margin=-1)


def test_uncovered_tickets_in_no_topic_are_listed(report, retriever):
    text = report.to_text()
    assert ("Gaps: 7 uncovered tickets, 6 of them in 2 topics\n" in text
            and "      1  in no topic (too few alike to group)\n         row 10: Bananas are yellow\n\n" in text)
    odd = ["Bananas are yellow", "Giraffes sleep standing\n\nWrite to jane.doe@acme.example about it",
           "Volcanoes erupt lava", "Penguins cannot fly", "Octopuses have three hearts", "Saturn has rings",
           "Glaciers carve valleys", "Cheddar ripens slowly", "Tulips bloom early", "Comets leave dust tails",
           "Koalas eat eucalyptus", "Basalt cools quickly"]
    lonely = analyze_coverage(odd, retriever)
    assert lonely.n_covered == 0 and lonely.gaps == []
    lines = lonely.to_text().split("\n\n")[1].splitlines()
    assert lines[:4] == ["Gaps: 12 uncovered tickets, 0 of them in 0 topics",
                         "     12  in no topic (too few alike to group)",
                         "         row 1: Bananas are yellow",
                         "         row 2: Giraffes sleep standing | Write to [email] about it"]
    assert len(lines) == 2 + 10 + 1 and lines[-1] == "         ... and 2 more (--html lists every ticket)"
    assert "jane" not in lonely.to_text()


def test_counts_of_one_are_singular(retriever, tmp_path):
    one = analyze_coverage(["Is DNS verification required to enable SSO?"], retriever, margin=1.0)
    assert one.summary() == ("1 of 1 ticket covered (100.0%) by 12 FAQ entries at confidence threshold 0.50; "
                             "0 gap topics, 1 ambiguous ticket, 0 bad rows")
    topic = analyze_coverage(GAP_INVOICE, retriever)
    assert "; 1 gap topic, 0 ambiguous tickets, 0 bad rows" in topic.summary()
    assert "Gaps: 3 uncovered tickets, 3 of them in 1 topic\n" in topic.to_text()
    (tmp_path / "faq.md").write_text("## Is DNS verification required to enable SSO?\n\nYes.\n")
    lone = analyze_coverage(["Bananas are yellow"], kb=tmp_path)
    assert lone.summary().startswith("0 of 1 ticket covered (0.0%) by 1 FAQ entry at")
    assert "Gaps: 1 uncovered ticket\n      1  in no topic (too few alike to group)\n" in lone.to_text()


def test_ticket_subject_and_body_stay_apart_in_the_html_and_the_widget(tmp_path, retriever):
    from assistant.widgets import CoverageView

    path = write(tmp_path, HEADER + b'1,toomanyrequests error,"Hello,\nOur Kubernetes nodes hit the pull rate limit.\n'
                                    b'Second line <b>here</b>."\n')
    r = analyze_coverage(path, retriever)
    cells = re.findall(r"<td>([^<]*)</td></tr>", r.to_html().split("<h2>Tickets")[1])
    assert cells == ["toomanyrequests error | Our Kubernetes nodes hit the pull rate limit. "
                     "Second line &lt;b&gt;here&lt;/b&gt;."]
    assert "toomanyrequests error | Our Kubernetes nodes" in CoverageView(r).tables["tickets"].value


def test_json_contract(report):
    data = json.loads(json.dumps(report.to_dict()))
    assert list(data) == ["tickets", "covered", "coverage_rate", "gaps", "entries", "ambiguous_pairs", "bad_rows"]
    assert (data["tickets"], data["covered"], data["coverage_rate"]) == (10, 3, 0.3)
    assert all(set(g) == {"label", "size", "terms", "examples"} for g in data["gaps"])
    assert all(set(e) == {"id", "question", "hits"} for e in data["entries"])
    assert all(set(p) == {"a", "b", "count"} for p in data["ambiguous_pairs"]) and data["ambiguous_pairs"]
    assert data["bad_rows"] == []


def test_find_gaps_directly():
    texts = GAP_INVOICE + GAP_RATE + ["Bananas are yellow", "please help thanks"]
    labels, gaps = find_gaps(texts)
    assert labels.tolist()[:6] in ([0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0]) and labels.tolist()[6:] == [-1, -1]
    many = (GAP_INVOICE + GAP_RATE) * 3 + ["Bananas are yellow"]
    sampled, gaps2 = find_gaps(many, max_tickets=8, seed=1)  # the rest join the nearest topic
    assert [g.size for g in gaps2] == [9, 9] and (sampled[:18] >= 0).all() and sampled[18] == -1
    none, no_gaps = find_gaps([])
    assert none.shape == (0,) and no_gaps == []
    assert find_gaps(["the and of", "to be or not"])[1] == []  # nothing but stop words


def test_folder_of_faq_pages_as_tickets(tmp_path, retriever):
    (tmp_path / "faq.md").write_text("---\ntitle: T\n---\n\n## Is DNS verification required to enable SSO?\n\nYes.\n\n"
                                     "## How do I download my invoice?\n\nFrom billing.\n")
    frame = questions_as_tickets(tmp_path)
    assert frame["ref"].tolist() == ["faq.md:5", "faq.md:9"]
    r = analyze_coverage(tmp_path, retriever)
    assert r.tickets["covered"].tolist() == [True, False]
    with pytest.raises(TicketsError, match="does not exist"):
        questions_as_tickets(tmp_path / "nope")


# --- every output is redacted and escaped ----------------------------------------------------------------

HOSTILE = (HEADER + b'1,<script>alert(1)</script>,"How do service accounts work with SSO? Mail jane.doe@acme.example, '
           b'call +1 (415) 555-0199 now, token dckr_pat_abcdefghijklmnopqrstuvwx."\n'
           b'2,Invoice <img src=x onerror=alert(2)>,"Download the invoice PDF? bob@corp.example"\n'
           b'3,Invoice copy,"Resend the invoice PDF? call +44 20 7946 0958 today"\n')


class _Audit(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def test_no_output_shows_personal_data_or_unescaped_markup(tmp_path, retriever):
    r = analyze_coverage(write(tmp_path, HOSTILE), retriever)
    outputs = {"json": json.dumps(r.to_dict()), "text": r.to_text(), "html": r.to_html(),
               "tickets": r.tickets.to_csv(), "gaps": repr(r.gaps)}
    for name, out in outputs.items():
        assert not re.search(r"jane|bob@|0199|0958|dckr_pat", out), name
    audit = _Audit(outputs["html"])
    assert audit.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "img", "table", "thead",
                          "tbody", "tr", "th", "td", "br"}
    assert audit.attrs <= {"lang", "charset", "alt", "src", "class"}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outputs["html"]
    labels = [t.get_text() for fig in r.figures().values() for ax in fig.axes for t in ax.get_yticklabels()]
    assert not any(re.search(r"jane|bob|0199|dckr", s) for s in labels + [g.label for g in r.gaps])


def test_hostile_faq_questions_are_escaped_in_the_html(tmp_path):
    (tmp_path / "faq.md").write_text("---\ntitle: T\n---\n\n## Can I put \\<img src=x onerror=alert(1)> in $x$ and $y$ SSO?\n\n"
                                     "Yes.\n")
    r = analyze_coverage(["put an image in SSO"], kb=tmp_path)
    assert r.entries["question"][0] == "Can I put <img src=x onerror=alert(1)> in $x$ and $y$ SSO?"
    page = r.to_html()
    assert "onerror" not in _Audit(page).attrs and "&lt;img src=x onerror=alert(1)&gt;" in page
    figure_png(plot_hits(r))  # "$x$ and $y$" stays text, never mathtext


# --- plots ----------------------------------------------------------------------------------------------------


def test_plots(report):
    hits = plot_hits(report)
    assert isinstance(hits, Figure)
    bars = hits.axes[0].patches
    assert len(bars) == len(report.entries)
    assert sorted(b.get_width() for b in bars) == sorted(report.entries["hits"])
    red = [b for b in bars if b.get_facecolor()[:3] == pytest.approx((0xc0 / 255, 0x39 / 255, 0x2b / 255))]
    assert len(red) == int((report.entries["hits"] == 0).sum())
    conf = plot_confidence(report)
    line = [ln for ln in conf.axes[0].lines if ln.get_linestyle() == "--"]
    assert len(line) == 1 and line[0].get_xdata()[0] == report.threshold
    assert sum(b.get_height() for b in conf.axes[0].patches) == report.n_tickets
    gaps = plot_gaps(report)
    assert [b.get_width() for b in gaps.axes[0].patches] == [g.size for g in report.gaps]
    assert figure_png(gaps).startswith(b"\x89PNG")
    empty = plot_gaps(report.with_threshold(0.0))
    assert empty.axes[0].texts[0].get_text() == "no gap topics"


def test_html_report_embeds_the_plots(report):
    page = report.to_html(title="Coverage <test>")
    assert page.count('src="data:image/png;base64,') == 3
    assert "<title>Coverage &lt;test&gt;</title>" in page and report.summary() in page


# --- the sample data, the CLI -------------------------------------------------------------------------------


def test_sample_csv_is_the_generators_output(tmp_path):
    spec = importlib.util.spec_from_file_location("make_sample_tickets", ROOT / "data" / "make_sample_tickets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.render(module.make_rows()) == SAMPLE.read_bytes()


@pytest.fixture(scope="module")
def sample(retriever) -> CoverageReport:
    return analyze_coverage(SAMPLE, retriever, progress=False)


def test_sample_tickets_report(sample):
    assert sample.n_tickets == 267 and 0.3 < sample.coverage_rate < 0.9
    assert [b.reason.split(";")[0] for b in sample.bad_rows] == [
        "empty line", "no text in 'subject', 'body'", "byte 0xe9 is not UTF-8",
        "text is 29,329 characters"]
    assert len(sample.gaps) >= 5
    topics = " ".join(" ".join(g.terms) for g in sample.gaps)
    for word in ("invoice", "refund", "wsl", "scim"):
        assert word in topics


def test_sample_outputs_show_no_phone_numbers(sample):
    page = sample.to_html() + json.dumps(sample.to_dict())
    assert not re.search(r"212 555 \d{4}|555-\d{4}|7946 \d{4}", page)


def test_cli_coverage_json_and_html(tmp_path, capsys):
    out_html = tmp_path / "report.html"
    assert cli.main(["coverage", str(SAMPLE), "--json", "--html", str(out_html)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert list(data) == ["tickets", "covered", "coverage_rate", "gaps", "entries", "ambiguous_pairs", "bad_rows"]
    assert data["tickets"] == 267 and len(data["bad_rows"]) == 4
    assert f"wrote {out_html}" in captured.err
    assert out_html.read_text().count("data:image/png;base64,") == 3


def test_cli_coverage_text_and_columns(tmp_path, capsys):
    path = write(tmp_path, HEADER + b"1,Ignored subject,Is DNS verification required to enable SSO?\n\n")
    assert cli.main(["coverage", str(path), "--text-column", "body"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 of 1 ticket covered (100.0%) by 12 FAQ entries at confidence threshold 0.50; "
                          "0 gap topics, 0 ambiguous tickets, 1 bad row\n\nGaps: 0 uncovered tickets\n\n")
    assert "  row 3: empty line; skipped" in out
    assert cli.main(["coverage", str(path), "--text-column", "nope"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err
    assert cli.main(["coverage", str(tmp_path / "none.csv")]) == 2
    assert "no such tickets file" in capsys.readouterr().err
    assert cli.main(["coverage", str(path), "--threshold", "2"]) == 2
    assert "--threshold is a confidence between 0 and 1" in capsys.readouterr().err
    empty = write(tmp_path, HEADER + b"\n1,,\n", "empty.csv")
    assert cli.main(["coverage", str(empty)]) == 2
    assert "no ticket could be analysed (2 bad rows)" in capsys.readouterr().err
    assert cli.main(["coverage", str(write(tmp_path, HEADER + b"1,,\n", "one.csv"))]) == 2
    assert "no ticket could be analysed (1 bad row)" in capsys.readouterr().err


def test_cli_coverage_rejects_other_file_formats_but_takes_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert cli.main(["coverage", "data/org-example.yaml"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == ("faq-assistant: error: data/org-example.yaml: a .yaml file cannot be read as "
                                 "tickets; accepted formats: CSV (.csv, .tsv, .txt) or Parquet (.parquet, .pq)\n")
    folder = tmp_path / "faq.yaml"  # a folder of FAQ pages is taken whatever its name
    folder.mkdir()
    (folder / "faq.md").write_text("## Is DNS verification required to enable SSO?\n\nYes.\n")
    assert cli.main(["coverage", str(folder)]) == 0
    assert capsys.readouterr().out.startswith("1 of 1 ticket covered")


def _usage_heading(command: str) -> str:
    return re.search(rf"^### `(faq-assistant {command} [^`]*)`", (ROOT / "README.md").read_text(), re.M).group(1)


@pytest.mark.parametrize("command", ["coverage", "lint"])
def test_readme_usage_headings_name_every_option(command):
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command").choices[command]
    options = [a.option_strings[-1] for a in sub._actions if a.option_strings and a.dest != "help"]
    heading = _usage_heading(command)
    assert options and [o for o in options if o not in heading] == [], heading


def test_margin_default_is_said_plainly_and_used(capsys):
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command").choices["coverage"]
    margin = next(a for a in sub._actions if a.dest == "margin")
    assert margin.help.endswith(f"(default {DEFAULT_MARGIN})") and "min_margin" not in margin.help
    section = (ROOT / "README.md").read_text().split(f"### `{_usage_heading('coverage')}`")[1].split("\n### ")[0]
    assert f"`--margin` (default\n  {DEFAULT_MARGIN})" in section and "min_margin" not in section
    assert cli.main(["coverage", str(SAMPLE)]) == 0
    assert f"Overlapping entries (covered tickets whose top two scored within {DEFAULT_MARGIN:.2f})" in capsys.readouterr().out


# --- widget and notebook ----------------------------------------------------------------------------------------


def test_coverage_view_slider_updates_everything(report):
    from assistant.widgets import CoverageView

    view = CoverageView(report)
    assert "3 of 10 tickets covered" in view.summary.value
    assert all(bytes(img.value).startswith(b"\x89PNG") for img in view.images.values())
    assert "invoice" in view.tables["gaps"].value
    before = view.images["confidence"].value
    view.slider.value = 0.0
    assert "10 of 10 tickets covered" in view.summary.value and "no gap topics" in view.tables["gaps"].value
    assert view.images["confidence"].value != before
    view.slider.value = 1.0
    assert "0 of 10 tickets covered" in view.summary.value
    assert view.errors == [] and view.error_area.value == ""


def test_coverage_view_shows_callback_errors(report, monkeypatch):
    from assistant.widgets import CoverageView

    view = CoverageView(report)
    monkeypatch.setattr(CoverageReport, "with_threshold", lambda self, t: 1 / 0)
    view.slider.value = 0.3
    assert len(view.errors) == 1 and "ZeroDivisionError" in view.error_area.value


def test_coverage_notebook_runs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) <= 4, "the notebook stays short: import, run, display"
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    assert [o for c in code for o in c.outputs if o.output_type == "error"] == []
    assert "tickets covered" in "".join(o.get("text", "") for o in code[1].outputs)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in code[-1].outputs)


# --- the real corpus ---------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_docker_faq_questions_as_tickets_against_the_bundled_kb(shared_dir, retriever):
    """Judged by hand: questions about SSO enforcement that the bundled FAQ answers are covered;
    billing, Compose, Desktop and ECI questions are not."""
    r = analyze_coverage(shared_dir / "corpus" / "docker-docs", retriever)
    covered = dict(zip(r.tickets["text"], r.tickets["covered"]))
    assert r.n_tickets > 150 and r.bad_rows == []
    for q in ["How does SSO affect automation systems and CI/CD pipelines?",
              "Does Docker SSO support authenticating through the command line?",
              "SSO is enforced, but a user can sign in using a username and password. Why is this happening?",
              "Can I test SSO functionality before going to production?"]:
        assert covered[q], q
    for q in ["What happens if my subscription payment fails?", "Does Docker collect sales tax and VAT?",
              "Can I use JSON instead of YAML for my Compose file?", "Can I use VirtualBox alongside Docker Desktop?",
              "Does ECI protect containers launched prior to enabling ECI?"]:
        assert q in covered and not covered[q], q
    assert any("vat" in g.terms or "tax" in g.terms or "payment" in g.terms for g in r.gaps)
