"""The main job's knowledge base: the bundled seed, front matter, bad input (issue 2)."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest

from assistant import KnowledgeBase, KnowledgeBaseError, default_kb_path
from assistant.knowledge_base import FRAME_COLUMNS

SEED_QUESTIONS = [
    "We currently have a iEchor Team subscription. How do we enable SSO?",
    "How do service accounts work with SSO?",
    "Is DNS verification required to enable SSO?",
    "Does iEchor SSO support authenticating through the command line?",
    "How does SSO affect our automation systems and CI/CD pipelines?",
    "I have a user working on projects within iEchor Desktop but authenticated with personal or no email. "
    "After they buy iEchor Business licenses, they will implement and enforce SSO through Okta to manage their "
    "users. When this user signs on SSO, is their work on DD compromised/impacted with the migration to the new account?",
    "If an organization enables SSO, the owners can control iEchor IDs associated with their work email domain. "
    "Some of these iEchor IDs won't be users of iEchor Desktop and therefore don't require a Business subscription. "
    "Can the owners choose which iEchor IDs they add to their iEchor org and get access to Business features? "
    "Is there a way to flag which of these iEchor IDs are iEchor Desktop users?",
    "Can I enable SSO and hold off on the enforcement option?",
    "SSO is enforced, but one of our users is connected to several organizations (and several email addresses) "
    "and is able to bypass SSO and sign in through username and password. Why is this happening?",
    "Is there a way to test this functionality in a test tenant with Okta before going to production?",
    "Once we enable SSO for iEchor Desktop, what's the impact to the flow for Build systems that use service accounts?",
    "Is enforcing Single Sign-On the same as enforcing sign-in to iEchor Desktop?",
]
DOC = "security/single-sign-on/enforcement-faqs"


def test_bundled_kb_has_the_twelve_seed_questions(kb):
    assert [e.question for e in kb] == SEED_QUESTIONS
    assert kb.problems == []


def test_ids_are_document_path_plus_github_slug(kb):
    e = kb[f"{DOC}#is-dns-verification-required-to-enable-sso"]
    assert e.question == "Is DNS verification required to enable SSO?"
    assert e.source == f"{DOC}.md" and e.line == 19
    assert kb[f"{DOC}#how-does-sso-affect-our-automation-systems-and-cicd-pipelines"].line == 27
    assert f"{DOC}#once-we-enable-sso-for-iechor-desktop-whats-the-impact-to-the-flow-for-build-systems-that-use-service-accounts" in kb
    with pytest.raises(KeyError, match="no FAQ entry with id 'nope'"):
        kb["nope"]


def test_answers_hold_text_links_and_front_matter(kb):
    e = kb.find_question(SEED_QUESTIONS[0])
    assert e.answer_text.startswith("SSO is available with a iEchor Business subscription.")
    assert "[Upgrade your subscription]" not in e.answer_text and "Upgrade your subscription" in e.answer_text
    assert "[Upgrade your subscription](../../../subscription/core-subscription/upgrade.md)" in e.answer_markdown
    assert e.links == [{"text": "Upgrade your subscription", "target": "../../../subscription/core-subscription/upgrade.md"}]
    assert e.title == "Enforcement"
    assert e.front_matter["description"] == "Single Sign-on enforcement FAQs"
    assert e.tags == ["FAQ"]
    assert "single sign-on" in e.keywords and "enforce SSO" in e.keywords
    assert e.front_matter["aliases"] == ["/single-sign-on/enforcement-faqs/", "/faq/security/single-sign-on/enforcement-faqs/"]
    assert e.url == "/single-sign-on/enforcement-faqs/#we-currently-have-a-iechor-team-subscription-how-do-we-enable-sso"
    lists = kb[f"{DOC}#once-we-enable-sso-for-iechor-desktop-whats-the-impact-to-the-flow-for-build-systems-that-use-service-accounts"]
    assert "- Service Account domain email addresses must be unaliased and enabled in their IdP" in lists.answer_text
    last = kb.find_question(SEED_QUESTIONS[-1])
    assert last.answer_text.startswith("No. They are different features")
    assert "Enforce sign-in for Desktop" in last.answer_text


def test_to_frame_has_documented_columns(kb):
    frame = kb.to_frame()
    assert list(frame.columns) == FRAME_COLUMNS
    assert len(frame) == 12
    assert frame["question"].tolist() == SEED_QUESTIONS
    assert frame.loc[0, "tags"] == ["FAQ"]
    assert frame.iloc[2].to_dict() == {
        "id": f"{DOC}#is-dns-verification-required-to-enable-sso",
        "question": "Is DNS verification required to enable SSO?",
        "answer_text": "Yes. You must verify a domain before using it with an SSO connection.",
        "answer_markdown": "Yes. You must verify a domain before using it with an SSO connection.",
        "source": f"{DOC}.md",
        "line": 19,
        "anchor": "is-dns-verification-required-to-enable-sso",
        "section": "",
        "url": "/single-sign-on/enforcement-faqs/#is-dns-verification-required-to-enable-sso",
        "title": "Enforcement",
        "description": "Single Sign-on enforcement FAQs",
        "keywords": ["iEchor", "iEchor Hub", "SSO FAQs", "single sign-on", "enforce SSO", "SSO enforcement"],
        "tags": ["FAQ"],
        "aliases": ["/single-sign-on/enforcement-faqs/", "/faq/security/single-sign-on/enforcement-faqs/"],
        "alternate_questions": [],
        "links": [],
    }
    # The documented types, in every row: line an int, url a str or None, list columns lists of str.
    for row in frame.to_dict("records"):
        assert isinstance(row["line"], int) and row["line"] >= 1
        assert row["url"] is None or isinstance(row["url"], str)
        for column in ("id", "question", "answer_text", "answer_markdown", "source", "anchor", "section", "title",
                       "description"):
            assert isinstance(row[column], str), column
        for column in ("keywords", "tags", "aliases", "alternate_questions"):
            assert isinstance(row[column], list) and all(isinstance(v, str) for v in row[column]), column
        assert all(isinstance(link, dict) and set(link) == {"text", "target"}
                   and all(isinstance(v, str) for v in link.values()) for link in row["links"])


def test_default_kb_is_shipped_with_the_package():
    path = default_kb_path()
    assert (path / "security" / "single-sign-on" / "enforcement-faqs.md").is_file()


def test_seed_in_kb_is_the_shared_seed(shared_dir, kb):
    seed = next((shared_dir / "seed").glob("*.txt"))
    bundled = default_kb_path() / "security" / "single-sign-on" / "enforcement-faqs.md"
    assert bundled.read_bytes() == seed.read_bytes()


def test_bom_and_crlf_change_nothing(tmp_path, kb):
    src = (default_kb_path() / f"{DOC}.md").read_text(encoding="utf-8")
    (tmp_path / "crlf").mkdir()
    (tmp_path / "crlf" / "page.md").write_bytes(("\ufeff" + src.replace("\n", "\r\n")).encode("utf-8"))
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "page.md").write_text(src, encoding="utf-8")
    a, b = KnowledgeBase.load(tmp_path / "crlf"), KnowledgeBase.load(tmp_path / "plain")
    assert a.problems == []
    assert a.to_frame().equals(b.to_frame())


def test_missing_and_empty_kb_are_clear_errors(tmp_path):
    with pytest.raises(KnowledgeBaseError) as info:
        KnowledgeBase.load(tmp_path / "nope")
    assert str(info.value) == f"{tmp_path / 'nope'}: knowledge base folder does not exist"
    assert (info.value.file, info.value.line) == (str(tmp_path / "nope"), None)
    with pytest.raises(KnowledgeBaseError) as info:
        KnowledgeBase.load(tmp_path)
    assert str(info.value) == f"{tmp_path}: no FAQ markdown files (*.md, *.mdx, *.markdown) found"
    assert isinstance(info.value, ValueError)  # callers that catch ValueError keep working


def test_the_knowledge_base_reads_no_environment_variable(monkeypatch, tmp_path):
    """Which knowledge base a command uses is assistant.config's business (FAQ_ASSISTANT_KB)."""
    (tmp_path / "other.md").write_text("## Is this another KB?\n\nYes.\n")
    monkeypatch.setenv("FAQ_ASSISTANT_KB", str(tmp_path))
    assert default_kb_path() != tmp_path
    assert [e.question for e in KnowledgeBase.load()] == SEED_QUESTIONS


def _unreadable(monkeypatch, name: str) -> None:
    """Make reading the file ``name`` fail as a file without read permission does (for root too, which CI is)."""
    read_bytes = Path.read_bytes

    def refuse(path: Path) -> bytes:
        if path.name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse)


def test_one_bad_file_never_empties_the_kb(tmp_path, monkeypatch):
    shutil.copy(default_kb_path() / f"{DOC}.md", tmp_path / "good.md")
    (tmp_path / "latin1.md").write_bytes("---\ntitle: Caf\xe9\n---\n\n### Is caf\xe9 open?\n\nYes.\n".encode("latin-1"))
    (tmp_path / "badyaml.md").write_text("---\ntitle: [unclosed\n---\n\n### Does it parse?\n\nThe body does.\n")
    (tmp_path / "list.md").write_text("---\n- a\n- b\n---\n\n### Is a list front matter ok?\n\nNo.\n")
    (tmp_path / "unreadable.md").write_text("### Can you read me?\n\nNo.\n")
    _unreadable(monkeypatch, "unreadable.md")
    kb = KnowledgeBase.load(tmp_path)
    assert [e.question for e in kb if e.source == "good.md"] == SEED_QUESTIONS
    assert [(e.source, e.question) for e in kb if e.source != "good.md"] == [
        ("badyaml.md", "Does it parse?"), ("latin1.md", "Is caf\ufffd open?"), ("list.md", "Is a list front matter ok?")]
    assert kb["latin1#is-caf-open"].front_matter == {"title": "Caf\ufffd"}  # the rest of the file still reads
    assert [str(p) for p in kb.problems] == [
        "badyaml.md:2: error: YAML front matter does not parse: expected ',' or ']', but got '<stream end>' "
        "[front-matter-invalid]",
        "latin1.md:2: warning: byte 0xe9 is not UTF-8; replaced with U+FFFD (save the file as UTF-8) [not-utf8]",
        "list.md:1: warning: the block between '---' lines 1 and 4 is a list, not key: value front matter; "
        "read as markdown [front-matter-not-mapping]",
        "unreadable.md: error: cannot read file: Permission denied [unreadable]",
    ]
    assert [(p.file, p.line, p.severity, p.code) for p in kb.problems] == [
        ("badyaml.md", 2, "error", "front-matter-invalid"), ("latin1.md", 2, "warning", "not-utf8"),
        ("list.md", 1, "warning", "front-matter-not-mapping"), ("unreadable.md", None, "error", "unreadable")]


def test_docker_docs_all_load_and_counts_match_hand_counts(shared_dir):
    root = shared_dir / "corpus" / "docker-docs"
    kb = KnowledgeBase.load(root)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md"))
    assert len(files) == 32
    assert not [p for p in kb.problems if p.severity == "error"]
    counts = {f: 0 for f in files}
    for e in kb:
        counts[e.source] += 1
    # Counted by reading the files: every question heading, nothing else.
    hand = {
        "content/manuals/admin/faqs/company-faqs.md": 13,
        "content/manuals/admin/faqs/general-faqs.md": 12,
        "content/manuals/admin/faqs/organization-faqs.md": 15,
        "content/manuals/billing/faqs.md": 5,
        "content/manuals/subscription/faq.md": 5,
        "content/manuals/security/faqs/single-sign-on/enforcement-faqs.md": 10,
        "content/manuals/admin/faqs/_index.md": 0,
    }
    assert {f: counts[f] for f in hand} == hand


def test_links_that_lead_nowhere_or_loop_are_problems_not_crashes(tmp_path):
    (tmp_path / "good.md").write_text("## Is this fine?\n\nYes.\n")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "missing.md")
    (tmp_path / "loop1.md").symlink_to(tmp_path / "loop2.md")
    (tmp_path / "loop2.md").symlink_to(tmp_path / "loop1.md")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)  # a folder loop
    kb = KnowledgeBase.load(tmp_path)
    assert [e.question for e in kb] == ["Is this fine?"]
    assert sorted(p.file for p in kb.problems if p.code == "unreadable") == ["dangling.md", "loop1.md", "loop2.md"]


@pytest.mark.parametrize("content, problems, alternates", [
    ("why: [a\n", ["faq.alternates.yaml:2: error: alternate questions file does not parse: expected ',' or ']', "
                   "but got '<stream end>' (write one '- phrasing' per line, or quote phrasings inside [...]) "
                   "[alternates-invalid]"], [[], []]),
    (b"why: [caf\xe9]\nHow?: [ok]\n", ["faq.alternates.yaml:1: warning: byte 0xe9 is not UTF-8; replaced with U+FFFD "
                                      "(save the file as UTF-8) [not-utf8]"], [["caf\ufffd"], ["ok"]]),
    ("- a\n", ["faq.alternates.yaml:1: error: alternate questions file must map a question (its text or anchor) "
               "to a list of alternate phrasings [alternates-invalid]"], [[], []]),
    ("why: [a, '']\n", ["faq.alternates.yaml:1: error: alternates of 'why' must be a list of non-empty strings "
                        "[alternates-invalid]"], [[], []]),
    ("Why?: a\nnope: [b]\n", ["faq.alternates.yaml:2: warning: 'nope' is not a question (text or anchor) of faq.md; "
                              "its alternates are ignored [alternates-unknown-question]"], [["a"], []]),
    ("", [], [[], []]),
])
def test_alternates_file_problems_name_file_and_line(tmp_path, content, problems, alternates):
    (tmp_path / "faq.md").write_text("## Why?\n\nBecause.\n\n## How?\n\nSo.\n")
    path = tmp_path / "faq.alternates.yaml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    kb = KnowledgeBase.load(tmp_path)
    assert [str(p) for p in kb.problems] == problems
    assert [e.alternate_questions for e in kb] == alternates  # the page's entries load either way


def test_unreadable_alternates_file_is_a_problem(tmp_path, monkeypatch):
    (tmp_path / "faq.md").write_text("## Why?\n\nBecause.\n")
    (tmp_path / "faq.alternates.yml").write_text("why: [a]\n")
    _unreadable(monkeypatch, "faq.alternates.yml")
    kb = KnowledgeBase.load(tmp_path)
    assert [str(p) for p in kb.problems] == [
        "faq.alternates.yml: error: cannot read alternate questions file: Permission denied [alternates-unreadable]"]
    assert [e.question for e in kb] == ["Why?"]


def test_worker_processes_load_what_one_process_loads(tmp_path):
    for n in range(6):
        folder = tmp_path / f"part{n % 2}"
        folder.mkdir(exist_ok=True)
        (folder / f"faq{n}.md").write_text(
            f"---\ntitle: Page {n}\nurl: /p{n}/\ntags: [faq, n{n}]\n---\n\n## How do I do {n}?\n\n"
            f"Like [this](https://example.com/{n}).\n\n## Why {n}?\n\n" + ("" if n == 3 else "Because.\n"))
    (tmp_path / "part0" / "faq0.alternates.yaml").write_text("why-0: [How come 0]\n")
    one, two = KnowledgeBase.load(tmp_path, jobs=1), KnowledgeBase.load(tmp_path, jobs=2)
    assert len(one) == 12 and [p.code for p in one.problems] == ["empty-answer"]
    assert two.entries == one.entries and two.problems == one.problems and two.pages == one.pages
    assert two["part0/faq0#why-0"].alternate_questions == ["How come 0"]
    assert gc.isenabled()  # paused only while the workers' entries arrive
