"""Every real FAQ page in ../shared/corpus loads, with MANIFEST.md's number of questions (issue 7)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant import KnowledgeBase
from assistant.knowledge_base import FAQ_SUFFIXES
from assistant.parsing import parse_file

pytestmark = pytest.mark.shared

#: Files where our entry count differs from MANIFEST.md's Q column: file -> (our count, reason).
#: Empty today: every file agrees. A stale entry (our count changed) fails the test below.
DIFFERENCES: dict[str, tuple[int, str]] = {}


def _cells(row: str) -> list[str]:
    """Cells of a markdown table row; a ``|`` inside backticks does not split."""
    cells, buf, in_code = [], [], False
    for ch in row.strip().strip("|"):
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    cells.append("".join(buf).strip())
    return cells


def manifest_counts(corpus: Path) -> dict[str, int]:
    """``{relative path: Q}`` from the Files table of MANIFEST.md."""
    lines = (corpus / "MANIFEST.md").read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| File |"))
    columns = _cells(lines[header])
    file_col, q_col = columns.index("File"), columns.index("Q")
    counts = {}
    for line in lines[header + 2:]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        assert len(cells) == len(columns), f"MANIFEST.md row does not have {len(columns)} cells: {line}"
        counts[cells[file_col].strip("`")] = int(cells[q_col])
    return counts


@pytest.fixture(scope="module")
def corpus(shared_dir) -> Path:
    return shared_dir / "corpus"


@pytest.fixture(scope="module")
def corpus_kb(corpus) -> KnowledgeBase:
    return KnowledgeBase.load(corpus)


def test_manifest_lists_every_corpus_file(corpus):
    on_disk = {p.relative_to(corpus).as_posix() for p in corpus.rglob("*")
               if p.suffix.lower() in FAQ_SUFFIXES and p.name != "MANIFEST.md"}
    assert set(manifest_counts(corpus)) == on_disk
    assert len(on_disk) == 53


def test_every_file_loads_with_the_manifest_count(corpus, corpus_kb):
    expected = manifest_counts(corpus)
    ours: dict[str, int] = {rel: 0 for rel in expected}
    for e in corpus_kb:
        ours[e.source] += 1
    mismatched = {
        rel: (ours[rel], q) for rel, q in expected.items()
        if ours[rel] != q and DIFFERENCES.get(rel, (None,))[0] != ours[rel]
    }
    assert mismatched == {}, "file: (ours, MANIFEST) without a documented reason in DIFFERENCES"
    stale = {rel: (ours[rel], listed) for rel, (listed, _) in DIFFERENCES.items() if ours[rel] != listed}
    assert stale == {}, "DIFFERENCES lists counts we no longer produce"


def test_corpus_loads_without_problems_or_duplicate_ids(corpus_kb):
    assert [str(p) for p in corpus_kb.problems] == []
    assert len({e.id for e in corpus_kb}) == len(corpus_kb)


def test_answer_text_is_clean(corpus_kb):
    debris = {
        "shortcode": re.compile(r"\{\{[<%]|[%>]\}\}"),
        "alert marker": re.compile(r"\[![A-Z]+\]"),
        "front matter": re.compile(r"^(?:---|\+\+\+)$|^(?:title|linkTitle|weight|aliases):", re.M),
        "admonition opener": re.compile(r"^\s*(?:!!!|\?\?\?)", re.M),
        "MDX": re.compile(r"</?(?:Note|Info|DocCardList)\b|^import\s", re.M),
        "answer label": re.compile(r"\A(?:A|Answer|回答)\s*[:：]"),
        "attribute list": re.compile(r"\{ ?#[\w-]+"),
        "icon shortcode": re.compile(r":(?:material|fontawesome|octicons)-"),
    }
    found = [(name, e.id) for e in corpus_kb for name, rx in debris.items() if rx.search(e.answer_text)]
    assert found == []
    assert all(e.answer_text for e in corpus_kb)
    assert all(e.question == e.question.strip() and "\n" not in e.question for e in corpus_kb)


def test_entries_read_right_on_tricky_pages(corpus):
    def entries(rel):
        return {e.question: e for e in parse_file(corpus / rel, corpus).entries}

    rg = entries("BurntSushi-ripgrep/FAQ.md")  # multi-line raw-HTML <h3 name=...>
    config = rg["Does ripgrep support configuration files?"]
    assert (config.anchor, config.line, config.section) == ("config", 32, "FAQ")
    assert config.answer_text == "Yes. See the guide's section on configuration files."

    helm = entries("helm-helm-www/versioned_docs/version-2/using_helm/install_faq.md")  # **Q: ...**
    tunnel = helm["When I run a Helm command, I get an error about the tunnel or proxy"]
    assert tunnel.answer_text.startswith("Helm uses the Kubernetes proxy service")  # "A:" dropped
    assert tunnel.section == "Installation: Frequently Asked Questions > Getting Started"

    sponsoring = entries("squidfunk-mkdocs-material/docs/insiders/faq/sponsoring.md")
    contact = sponsoring["How can I contact support if I have questions about becoming a sponsor?"]
    assert contact.anchor == "support-contact"  # `[__...?__ ](#support-contact){ #support-contact }`

    analytics = entries("squidfunk-mkdocs-material/docs/setup/setting-up-site-analytics.md")
    assert set(analytics) == {"How to measure site search usage?", "How to visualize the collected feedback ratings?"}
    ratings = analytics["How to visualize the collected feedback ratings?"]
    assert "Delay in data availability" in ratings.answer_text and "!!!" not in ratings.answer_text

    desktop = entries("docker-docs/content/manuals/desktop/troubleshoot-and-support/faqs/general.md")
    admin = desktop["How do I run Docker Desktop without administrator privileges?"]
    assert "\n\nMac\n\n" in admin.answer_text and "\n\nWindows\n\n" in admin.answer_text  # tab names
    assert "Before launching Docker Desktop, if a settings-store.json file" in admin.answer_text

    ollama = entries("ollama-ollama/docs/faq.mdx")
    assert "How to Add the Key" not in ollama and "Where the Ollama Public Key lives" not in ollama
    proxy = ollama["How do I use Ollama behind a proxy?"]
    assert "Avoid setting HTTP_PROXY." in proxy.answer_text and "<Note>" not in proxy.answer_text

    cn = entries("apache-shardingsphere/docs/document/content/faq/_index.cn.md")  # TOML, 回答：
    xa = next(e for q, e in cn.items() if "JtaTransactionManager" in q)
    assert xa.answer_text.startswith("1. 需要在 spring-boot 的引导类中添加") and xa.section == "JDBC"

    prometheus = entries("prometheus-docs/docs/introduction/faq.md")
    assert "I was told Prometheus “doesn't scale”." in prometheus  # statement at the question level
    assert prometheus["Is this cloud native?"].section == "General"  # #### under a ### question

    mac = entries("docker-docs/content/manuals/desktop/troubleshoot-and-support/faqs/macfaqs.md")
    tls = mac["How do I add TLS certificates?"]
    assert "Add client certificates" in tls.answer_text and "Add client certificates" not in mac

    changes = entries("helm-helm-www/versioned_docs/version-3/faq/changes_since_helm2.md")
    assert list(changes) == ["What happened to .Chart.ApiVersion?"]  # topic headings are not questions
