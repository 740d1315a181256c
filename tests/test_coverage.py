"""Coverage of tickets by the knowledge base (issue 6): coverage, gaps, overlaps, redaction in every
output, plots, HTML, the JSON contract and the CLI. Reading tickets files: test_ticket_files.py;
the widget and the notebook: test_coverage_widget.py."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from assistant import TfidfRetriever, cli
from assistant.coverage import (DEFAULT_MARGIN, DEFAULT_MIN_CONFIDENCE, CoverageReport, analyze_coverage, figure_png,
                                find_gaps, plot_confidence, plot_gaps, plot_hits, questions_as_tickets)
from assistant.problems import Problem, TicketsError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample_tickets.csv"

HEADER = b"ticket_id,subject,body\n"


def write(tmp_path: Path, data: bytes, name: str = "tickets.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


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
    # "covered" at the default min_confidence is the retriever's own answering threshold (a score).
    assert report.min_confidence == DEFAULT_MIN_CONFIDENCE == 0.5
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
    narrow = wide.with_min_confidence(0.5, margin=0.0)
    assert narrow.tickets["ambiguous"].tolist() == (narrow.tickets["covered"] & (narrow.tickets["margin"] <= 0)).tolist()


def test_margin_defaults_to_the_retrievers_min_margin(kb):
    assert analyze_coverage(["How do service accounts work with SSO?"], TfidfRetriever().fit(kb)).margin == DEFAULT_MARGIN
    strict = TfidfRetriever(min_margin=0.07).fit(kb)
    assert analyze_coverage(["How do service accounts work with SSO?"], strict).margin == 0.07


def test_with_min_confidence_rejudges_without_searching_again(report, retriever):
    everything = report.with_min_confidence(0.0)
    assert everything.n_covered == report.n_tickets and everything.gaps == []
    assert int(everything.entries["hits"].sum()) == report.n_tickets
    nothing = report.with_min_confidence(1.0)
    assert nothing.n_covered == 0 and (nothing.entries["hits"] == 0).all()
    assert report.n_covered == 3  # the original is untouched
    with pytest.raises(ValueError, match=r"min_confidence is a confidence in \[0, 1\], got 1.5"):
        report.with_min_confidence(1.5)
    with pytest.raises(ValueError, match="margin must be a finite number >= 0"):
        report.with_min_confidence(0.5, margin=-1)
    with pytest.raises(ValueError, match=r"min_confidence is a confidence in \[0, 1\], got -0.1"):
        analyze_coverage(["Bananas are yellow"], retriever, min_confidence=-0.1)


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
    assert one.to_text(brief=True) == ("1 of 1 ticket covered (100.0%) by 12 FAQ entries at confidence threshold 0.50; "
                             "0 gap topics, 1 ambiguous ticket, 0 bad rows")
    topic = analyze_coverage(GAP_INVOICE, retriever)
    assert "; 1 gap topic, 0 ambiguous tickets, 0 bad rows" in topic.to_text(brief=True)
    assert "Gaps: 3 uncovered tickets, 3 of them in 1 topic\n" in topic.to_text()
    (tmp_path / "faq.md").write_text("## Is DNS verification required to enable SSO?\n\nYes.\n")
    lone = analyze_coverage(["Bananas are yellow"], kb=tmp_path)
    assert lone.to_text(brief=True).startswith("0 of 1 ticket covered (0.0%) by 1 FAQ entry at")
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


def same(actual, expected, where: str = "") -> None:
    """``actual == expected`` with the same JSON types all the way down (``3 != 3.0``, ``True != 1``)."""
    assert type(actual) is type(expected), f"{where}: {actual!r} is not a {type(expected).__name__}"
    if isinstance(expected, dict):
        assert list(actual) == list(expected), where
        for key in expected:
            same(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            same(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, where


def test_json_contract(report, kb):
    data = json.loads(json.dumps(report.to_dict()))
    ids = {q: kb.find_question(q).id for q in COVERED}
    dns, service, cli_ = (ids[q] for q in COVERED)
    hit = [COVERED[1], COVERED[0], COVERED[2]]  # one hit each, in the knowledge base's order
    rest = [e.question for e in kb if e.question not in COVERED]
    same(data, {
        "tickets": 10, "covered": 3, "coverage_rate": 0.3, "clustered": 7,
        "gaps": [
            {"label": "invoice / pdf / march", "size": 3, "terms": ["invoice", "pdf", "march", "download", "resend"],
             "examples": ["Where do I download the invoice PDF for March?", "Please resend the March invoice PDF",
                          "Our invoice PDF shows the wrong VAT number"],
             "draft": "### Where do I download the invoice PDF for March?\n\n<!-- Draft for the coverage gap "
                      "\"invoice / pdf / march\" (3 uncovered tickets). Example tickets (redacted):\n"
                      "  - Where do I download the invoice PDF for March?\n  - Please resend the March invoice PDF\n"
                      "  - Our invoice PDF shows the wrong VAT number\nWrite the answer below, check the question, "
                      "then remove this comment. -->\n\nTODO: the answer.\n"},
            {"label": "limit / pull / rate", "size": 3, "terms": ["limit", "pull", "rate", "pulls", "anonymous"],
             "examples": ["What is the pull rate limit for anonymous pulls?",
                          "Kubernetes pulls fail: toomanyrequests pull rate limit",
                          "We hit the pull rate limit from our runners"],
             "draft": "### What is the pull rate limit for anonymous pulls?\n\n<!-- Draft for the coverage gap "
                      "\"limit / pull / rate\" (3 uncovered tickets). Example tickets (redacted):\n"
                      "  - What is the pull rate limit for anonymous pulls?\n"
                      "  - Kubernetes pulls fail: toomanyrequests pull rate limit\n"
                      "  - We hit the pull rate limit from our runners\nWrite the answer below, check the question, "
                      "then remove this comment. -->\n\nTODO: the answer.\n"},
        ],
        "entries": [{"id": kb.find_question(q).id, "question": q, "hits": 1} for q in hit]
                   + [{"id": kb.find_question(q).id, "question": q, "hits": 0} for q in rest],
        "ambiguous_pairs": [
            {"a": cli_, "b": kb.find_question(q).id, "count": 1} for q in [
                "I have a user working on projects within iEchor Desktop but authenticated with personal or no email. "
                "After they buy iEchor Business licenses, they will implement and enforce SSO through Okta to manage "
                "their users. When this user signs on SSO, is their work on DD compromised/impacted with the "
                "migration to the new account?"]
        ] + [
            {"a": service, "b": kb.find_question("Once we enable SSO for iEchor Desktop, what's the impact to the flow "
                                                 "for Build systems that use service accounts?").id, "count": 1},
            {"a": dns, "b": kb.find_question("We currently have a iEchor Team subscription. How do we enable SSO?").id,
             "count": 1},
        ],
        "bad_rows": [],
    })
    assert len(data["entries"]) == len(kb) == 12


def test_json_bad_rows_are_row_and_reason(tmp_path, retriever):
    r = analyze_coverage(write(tmp_path, HEADER + b"1,Caf\xe9,Is DNS verification required?\n\n"), retriever)
    assert r.bad_rows == [
        Problem(str(tmp_path / "tickets.csv"), 2, "warning", "not-utf8",
                "byte 0xe9 is not UTF-8; read as Windows-1252; analyzed anyway"),
        Problem(str(tmp_path / "tickets.csv"), 3, "error", "empty-line", "empty line; skipped")]
    same(json.loads(json.dumps(r.to_dict()))["bad_rows"],
         [{"row": 2, "reason": "byte 0xe9 is not UTF-8; read as Windows-1252; analyzed anyway"},
          {"row": 3, "reason": "empty line; skipped"}])


def test_each_ticket_is_cleaned_once_and_the_retriever_searches_the_cleaned_text(retriever, monkeypatch):
    cleaned, searched = [], []
    import assistant.coverage.stream as stream

    real_clean, real_search = stream.clean_ticket, retriever.top_scores

    def clean(text):
        cleaned.append(text)
        return real_clean(text)

    def search(queries, k=2):  # the whole chunk at once
        searched.extend(queries)
        return real_search(queries, k)

    monkeypatch.setattr(stream, "clean_ticket", clean)
    monkeypatch.setattr(retriever, "top_scores", search)
    ticket = "Hi team,\n\nHow do service accounts work with SSO?\n\nThanks,\nAna\n> quoted earlier mail"
    r = analyze_coverage([ticket, "Bananas are yellow"], retriever)
    assert cleaned == [ticket, "Bananas are yellow"]
    assert searched == ["How do service accounts work with SSO?", "Bananas are yellow"]
    assert r.tickets["text"].tolist() == searched and r.tickets["covered"].tolist() == [True, False]


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
    assert frame.to_dict("list") == {"row": [1, 2], "ref": ["faq.md:5", "faq.md:9"],
                                     "text": ["Is DNS verification required to enable SSO?",
                                              "How do I download my invoice?"]}
    r = analyze_coverage(tmp_path, retriever)
    assert r.tickets["covered"].tolist() == [True, False] and r.bad_rows == []
    with pytest.raises(TicketsError, match="does not exist") as info:
        questions_as_tickets(tmp_path / "nope")
    assert info.value.file == str(tmp_path / "nope")


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
    assert len(line) == 1 and line[0].get_xdata()[0] == report.min_confidence
    assert sum(b.get_height() for b in conf.axes[0].patches) == report.n_tickets
    gaps = plot_gaps(report)
    assert [b.get_width() for b in gaps.axes[0].patches] == [g.size for g in report.gaps]
    assert figure_png(gaps).startswith(b"\x89PNG")
    empty = plot_gaps(report.with_min_confidence(0.0))
    assert empty.axes[0].texts[0].get_text() == "no gap topics"


def test_html_report_embeds_the_plots(report):
    page = report.to_html(title="Coverage <test>")
    assert page.count('src="data:image/png;base64,') == 3
    assert "<title>Coverage &lt;test&gt;</title>" in page and f"<p>{report.to_text(brief=True)}</p>" in page


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
    assert (sample.n_tickets, sample.n_covered) == (267, 161)
    assert [(p.file, p.line, p.severity, p.code) for p in sample.bad_rows] == [
        (str(SAMPLE), 199, "error", "empty-line"), (str(SAMPLE), 287, "error", "no-text"),
        (str(SAMPLE), 538, "warning", "not-utf8"), (str(SAMPLE), 879, "warning", "text-too-long")]
    assert [g.label for g in sample.gaps] == [
        "desktop / wsl / windows", "account / delete / repositories", "codes / recovery / app",
        "org / organization / change", "pull / limit / rate", "refund / duplicate / charge",
        "scim / provisioning / group", "invoice / pdf / download", "sso / enforcement / leave",
        "audit / copies / finance"]
    assert [g.size for g in sample.gaps] == [13, 12, 12, 12, 12, 12, 12, 11, 8, 2]


def test_sample_outputs_show_no_phone_numbers(sample):
    page = sample.to_html() + json.dumps(sample.to_dict())
    assert not re.search(r"212 555 \d{4}|555-\d{4}|7946 \d{4}", page)


def test_cli_coverage_json_and_html(tmp_path, capsys, sample):
    out_html = tmp_path / "report.html"
    assert cli.main(["coverage", str(SAMPLE), "--json", "--html", str(out_html)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert list(data) == ["tickets", "covered", "coverage_rate", "clustered", "gaps", "entries", "ambiguous_pairs",
                          "bad_rows"]
    same({k: data[k] for k in ("tickets", "covered", "coverage_rate", "bad_rows")}, {
        "tickets": 267, "covered": 161, "coverage_rate": 0.603,
        "bad_rows": [{"row": 199, "reason": "empty line; skipped"},
                     {"row": 287, "reason": "no text in 'subject', 'body'; skipped"},
                     {"row": 538, "reason": "byte 0xe9 is not UTF-8; read as Windows-1252; analyzed anyway"},
                     {"row": 879, "reason": "text is 29,329 characters; only the first 20,000 were analyzed"}]})
    assert [(g["label"], g["size"], type(g["terms"][0]), type(g["examples"][0])) for g in data["gaps"][:2]] == [
        ("desktop / wsl / windows", 13, str, str), ("account / delete / repositories", 12, str, str)]
    assert [e["hits"] for e in data["entries"]] == [15, 15, 14, 14, 14, 14, 14, 14, 14, 14, 14, 5]
    assert all(type(e["id"]) is str and type(e["question"]) is str for e in data["entries"])
    assert [p["count"] for p in data["ambiguous_pairs"]] == [6, 5, 4, 4, 2, 1]
    assert data == json.loads(json.dumps(sample.to_dict()))  # the CLI prints the library's contract
    assert f"wrote {out_html}" in captured.err
    assert out_html.read_text().count("data:image/png;base64,") == 3


def test_cli_coverage_text_and_json_do_not_import_matplotlib():
    code = ("import sys; from assistant import cli; "
            f"assert cli.main(['coverage', {str(SAMPLE)!r}, '--json']) == 0; "
            f"assert cli.main(['coverage', {str(SAMPLE)!r}]) == 0; "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


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
    assert "no ticket could be analyzed (2 bad rows)" in capsys.readouterr().err
    assert cli.main(["coverage", str(write(tmp_path, HEADER + b"1,,\n", "one.csv"))]) == 2
    assert "no ticket could be analyzed (1 bad row)" in capsys.readouterr().err


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
