"""The saved index (assistant.index): same answers as a fresh fit, rebuilt on change, never trusted when damaged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from assistant import KnowledgeBase, TfidfRetriever
from assistant.cli import main
from assistant.index import INDEX_FILE, index_file, load_index
from assistant.vectors import csc_dot as _csc_dot, csc_values as _csc_values

ROOT = Path(__file__).resolve().parent.parent

QUERIES = ["Can I turn on SSO without enforcing it?", "How do I reset my password?", "verfication of my domian",
           "does the cli work with single sign-on", "service accounts", "ciao"]


def _page(n: int, topic: str) -> str:
    return textwrap.dedent(f"""\
        ---
        title: {topic.title()} FAQ {n}
        ---
        # {topic.title()}

        ## How do I configure {topic} number {n}?

        Open the settings page and pick {topic} option {n}. Then save.

        ## Why does {topic} fail with error {n}?

        The {topic} service needs a valid licence key; renew it in the console.
        """)


def _make_kb(root: Path, pages: int = 4) -> Path:
    topics = ["billing", "backup", "proxy", "webhook", "mirror", "quota"]
    root.mkdir(parents=True, exist_ok=True)
    for i in range(pages):
        (root / f"p{i}.md").write_text(_page(i, topics[i % len(topics)]), encoding="utf-8")
    return root


def _answers(retriever: TfidfRetriever, queries=QUERIES) -> list[dict]:
    return [retriever.search(q, top_k=5).to_dict() for q in queries]


def _warnings() -> tuple[list[str], callable]:
    seen: list[str] = []
    return seen, seen.append


# --- to_state / from_state -------------------------------------------------------------------------


def test_state_round_trip_answers_exactly_like_a_fresh_fit(kb):
    fresh = TfidfRetriever().fit(kb, alternates={kb.entries[0].id: ["may staff keep their old password?"]})
    params, arrays = fresh.to_state()
    json.dumps(params)  # the header is JSON
    assert all(isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype != object for a in arrays.values())
    loaded = TfidfRetriever.from_state(json.loads(json.dumps(params)), arrays, kb)
    assert _answers(loaded) == _answers(fresh)
    for q in QUERIES:
        assert np.array_equal(loaded.scores(q), fresh.scores(q))
    assert loaded.phrasings_ == fresh.phrasings_
    assert loaded.vocabulary_ == fresh.vocabulary_
    assert (loaded.matrix_ != fresh.matrix_).nnz == 0
    assert loaded.explain(QUERIES[0], kb.entries[1].id).equals(fresh.explain(QUERIES[0], kb.entries[1].id))


def test_from_state_refuses_another_knowledge_base(kb, tmp_path):
    params, arrays = TfidfRetriever().fit(kb).to_state()
    other = KnowledgeBase.load(_make_kb(tmp_path))
    with pytest.raises(ValueError, match="another knowledge base"):
        TfidfRetriever.from_state(params, arrays, other)
    broken = dict(arrays, csc_indices=arrays["csc_indices"][:-1])
    with pytest.raises(ValueError, match="inconsistent"):
        TfidfRetriever.from_state(params, broken, kb)
    with pytest.raises(ValueError, match="incomplete or malformed"):
        TfidfRetriever.from_state(params, {k: v for k, v in arrays.items() if k != "rows"}, kb)


def test_sparse_gathers_equal_scipy():
    rng = np.random.default_rng(0)
    m = sp.random(40, 300, density=0.05, random_state=1, format="csc")
    m.sort_indices()
    csc = (m.indptr, m.indices, m.data)
    cols = np.array([3, 17, 17, 250, 299, 0])
    vals = rng.random(len(cols))
    assert np.allclose(_csc_dot(csc, cols, vals, 40), m[:, cols] @ vals)
    for row in (0, 7, 39):
        assert np.allclose(_csc_values(csc, row, cols), m[row, cols].toarray().ravel())
    assert np.array_equal(_csc_dot(csc, np.array([], dtype=int), np.array([]), 40), np.zeros(40))
    empty = [c for c in range(300) if m.indptr[c] == m.indptr[c + 1]]
    one = np.array([empty[0], 17, empty[1]])  # a single column with values among empty ones
    assert np.allclose(_csc_dot(csc, one, np.array([5.0, 2.0, 7.0]), 40), m[:, [17]].toarray().ravel() * 2.0)
    assert np.array_equal(_csc_dot(csc, np.array(empty[:2]), np.ones(2), 40), np.zeros(40))


# --- load_index: fresh, stale, incremental --------------------------------------------------------------


def test_first_call_builds_second_loads_and_answers_the_same(tmp_path):
    root = _make_kb(tmp_path / "kb")
    kb0, r0, info0 = load_index(root, tmp_path / "idx")
    assert info0.status == "built" and info0.path.name == INDEX_FILE and info0.size_bytes == info0.path.stat().st_size
    assert info0.pages_parsed == 4 and info0.entries == 8
    kb1, r1, info1 = load_index(root, tmp_path / "idx")
    assert info1.status == "loaded" and info1.pages_parsed == 0
    assert [e.id for e in kb1] == [e.id for e in kb0] and kb1.problems == kb0.problems
    assert [vars(e) for e in kb1] == [vars(e) for e in kb0]
    fresh = TfidfRetriever().fit(KnowledgeBase.load(root))
    queries = ["configure the proxy", "webhook error 3", "licence renewal", "nothing related at all"]
    assert _answers(r1, queries) == _answers(fresh, queries) == _answers(r0, queries)


def test_bundled_index_keeps_front_matter_and_problems(kb, tmp_path):
    kb1, _, _ = load_index(kb.root, tmp_path)
    kb2, r2, info = load_index(kb.root, tmp_path)
    assert info.status == "loaded"
    assert [vars(e) for e in kb2] == [vars(e) for e in kb]
    assert kb2.to_frame().equals(kb.to_frame())
    assert _answers(r2) == _answers(TfidfRetriever().fit(kb))


def test_a_changed_page_is_reparsed_alone_and_answered(tmp_path):
    root = _make_kb(tmp_path / "kb")
    load_index(root, tmp_path / "idx")
    page = root / "p2.md"
    page.write_text(page.read_text() + "\n## Can I use a SOCKS tunnel?\n\nYes, set tunnel_mode to socks.\n")
    kb, r, info = load_index(root, tmp_path / "idx")
    assert info.status == "rebuilt" and (info.pages_parsed, info.pages_reused) == (1, 3)
    assert r.search("socks tunnel").best.entry.question == "Can I use a SOCKS tunnel?"
    assert _answers(r, ["socks tunnel", "billing"]) == _answers(TfidfRetriever().fit(KnowledgeBase.load(root)),
                                                                 ["socks tunnel", "billing"])


def test_same_size_rewrite_within_the_same_second_is_seen(tmp_path):
    root = _make_kb(tmp_path / "kb")
    load_index(root, tmp_path / "idx")
    page = root / "p0.md"
    stat = page.stat()
    text = page.read_text()
    page.write_text(text.replace("billing", "shipped"))  # same size
    os.utime(page, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same modification time
    _, r, info = load_index(root, tmp_path / "idx")
    assert info.status == "rebuilt"
    assert "shipped" in r.search("shipped").best.entry.question.lower()


def test_added_and_removed_pages(tmp_path):
    root = _make_kb(tmp_path / "kb")
    load_index(root, tmp_path / "idx")
    (root / "p1.md").unlink()
    (root / "sub").mkdir()
    (root / "sub" / "new.md").write_text(_page(9, "gateway"))
    kb, _, info = load_index(root, tmp_path / "idx")
    assert info.status == "rebuilt" and (info.pages_parsed, info.pages_reused) == (1, 3)
    assert sorted(kb.pages) == ["p0.md", "p2.md", "p3.md", "sub/new.md"]
    assert [e.id for e in kb] == [e.id for e in KnowledgeBase.load(root)]


def test_synonyms_and_alternates_files_rebuild(tmp_path):
    root = _make_kb(tmp_path / "kb")
    load_index(root, tmp_path / "idx")
    (root / "synonyms.yaml").write_text("proxy: [gateway relay]\n")
    _, r, info = load_index(root, tmp_path / "idx")
    assert info.status == "rebuilt" and info.pages_parsed == 0 and info.pages_reused == 4
    assert r.synonyms_ == {"proxy": ["gateway relay"]}
    (root / "p3.alternates.yaml").write_text('"How do I configure webhook number 3?": ["Where are hook settings?"]\n')
    kb, r, info = load_index(root, tmp_path / "idx")
    assert (info.pages_parsed, info.pages_reused) == (1, 3)
    entry = kb.find_question("How do I configure webhook number 3?")
    assert entry.alternate_questions == ["Where are hook settings?"]
    assert r.search("Where are hook settings?").best.entry.id == entry.id


def test_a_changed_folder_settings_file_reparses_every_page(tmp_path):
    root = _make_kb(tmp_path / "kb")
    load_index(root, tmp_path / "idx")
    (root / ".faq.yaml").write_text("# no overrides yet\n")
    _, _, info = load_index(root, tmp_path / "idx")
    assert info.status == "rebuilt" and (info.pages_parsed, info.pages_reused) == (4, 0)


def test_parameters_and_alternates_have_their_own_index(tmp_path):
    root = _make_kb(tmp_path / "kb")
    _, _, a = load_index(root, tmp_path / "idx")
    _, r, b = load_index(root, tmp_path / "idx", retriever_params={"threshold": 0.3})
    _, r2, c = load_index(root, tmp_path / "idx", alternates={"p0#how-do-i-configure-billing-number-0": ["invoices?"]})
    assert len({a.path, b.path, c.path}) == 3 and b.status == c.status == "built"
    assert r.threshold == 0.3 and r2.search("invoices?").best.entry.id == "p0#how-do-i-configure-billing-number-0"
    assert load_index(root, tmp_path / "idx", retriever_params={"threshold": 0.3})[2].status == "loaded"


def test_building_with_a_progress_bar_leaves_no_thread(tmp_path, capsys):
    """A large fit forks worker processes only when the process runs no other thread (assistant.features)."""
    import threading

    root = _make_kb(tmp_path / "kb")
    before = threading.active_count()
    _, _, info = load_index(root, tmp_path / "idx", progress=True)
    assert info.status == "built" and threading.active_count() == before
    assert "parsing kb" in capsys.readouterr().err  # the bar was shown


def test_older_feedback_indexes_are_pruned(tmp_path):
    """Each new set of accepted answers gets an index; only the newest two per folder and parameters stay."""
    import os

    root, idx = _make_kb(tmp_path / "kb"), tmp_path / "idx"
    entry = "p0#how-do-i-configure-billing-number-0"
    plain = load_index(root, idx)[2].path
    other_params = load_index(root, idx, retriever_params={"threshold": 0.3},
                              alternates={entry: ["receipts?"]})[2].path
    paths = []
    for k, phrasing in enumerate(["invoices?", "bills?", "receipts?"]):
        _, r, info = load_index(root, idx, alternates={entry: [phrasing]})
        assert info.status == "built" and r.search(phrasing).best.entry.id == entry
        os.utime(info.path, (1000 + k, 1000 + k))  # written in this order
        paths.append(info.path)
    assert not paths[0].exists() and paths[1].exists() and paths[2].exists()
    assert plain.exists() and other_params.exists()  # other keys are never pruned
    assert load_index(root, idx, alternates={entry: ["bills?"]})[2].status == "loaded"


def test_without_index_dir_nothing_is_saved(tmp_path):
    root = _make_kb(tmp_path / "kb")
    _, r, info = load_index(root, None)
    assert info.status == "unsaved" and info.path is None and r.entries_


# --- damaged indexes are rebuilt, never trusted ------------------------------------------------------------


def _damage_cases(path: Path):
    data = path.read_bytes()
    yield "garbage", b"this is not a zip archive at all"
    yield "truncated", data[: len(data) // 2]
    yield "empty", b""
    flipped = bytearray(data)
    mid = len(flipped) * 2 // 3
    flipped[mid] ^= 0xFF  # inside an array: the ZIP CRC catches it
    yield "bit flip", bytes(flipped)


@pytest.mark.parametrize("case", ["garbage", "truncated", "empty", "bit flip"])
def test_corrupt_or_truncated_index_is_rebuilt_with_a_warning(tmp_path, case):
    root = _make_kb(tmp_path / "kb")
    _, r0, info = load_index(root, tmp_path / "idx")
    damaged = dict(_damage_cases(info.path))[case]
    info.path.write_bytes(damaged)
    seen, warn = _warnings()
    _, r, info2 = load_index(root, tmp_path / "idx", on_warning=warn)
    assert info2.status == "rebuilt" and "rebuilding" in seen[0] and str(info.path) in seen[0]
    queries = ["configure the proxy", "licence"]
    assert _answers(r, queries) == _answers(r0, queries)
    assert load_index(root, tmp_path / "idx")[2].status == "loaded"


def _rewrite_header(path: Path, **changes) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    header = json.loads(members["header.json"])
    header.update(changes)
    members["header.json"] = json.dumps(header).encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("changes, said", [({"version": "0.0.1"}, "written by faq-assistant '0.0.1'"),
                                           ({"format": 99}, "format 99"),
                                           ({"arrays": ["rows", "no_such_array"]}, "unreadable")])
def test_index_of_another_version_is_rebuilt(tmp_path, changes, said):
    root = _make_kb(tmp_path / "kb")
    _, _, info = load_index(root, tmp_path / "idx")
    _rewrite_header(info.path, **changes)
    seen, warn = _warnings()
    _, r, info2 = load_index(root, tmp_path / "idx", on_warning=warn)
    assert info2.status == "rebuilt" and said in seen[0]
    assert r.search("configure the proxy").best is not None


def test_inconsistent_arrays_are_rebuilt(tmp_path):
    root = _make_kb(tmp_path / "kb")
    _, _, info = load_index(root, tmp_path / "idx")
    with zipfile.ZipFile(info.path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    import io

    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([0, 5, 2]))  # a valid .npy with a wrong shape
    members["csc_indptr.npy"] = buf.getvalue()
    with zipfile.ZipFile(info.path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    seen, warn = _warnings()
    _, _, info2 = load_index(root, tmp_path / "idx", on_warning=warn)
    assert info2.status == "rebuilt" and "inconsistent" in seen[0]


def test_an_index_folder_that_cannot_be_written_still_answers(tmp_path):
    root = _make_kb(tmp_path / "kb")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    seen, warn = _warnings()
    _, r, info = load_index(root, blocker / "idx", on_warning=warn)
    assert info.status == "unsaved" and "cannot write the index" in seen[0]
    assert r.search("configure the proxy").best is not None


_BUILDER = """
import sys
from assistant.index import load_index
kb, r, info = load_index(sys.argv[1], sys.argv[2], force=sys.argv[3] == "force")
print(info.status, len(kb), r.search("configure the proxy").best.entry.id)
"""


def test_two_processes_building_at_once_leave_one_good_index(tmp_path):
    root = _make_kb(tmp_path / "kb", pages=6)
    idx = tmp_path / "idx"
    # The builders must run the same installed code as this process: the index records a fingerprint of it.
    import assistant

    env = {**os.environ, "PYTHONPATH": str(Path(assistant.__file__).resolve().parent.parent)}
    procs = [subprocess.Popen([sys.executable, "-c", _BUILDER, str(root), str(idx), mode], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
             for mode in ("build", "build", "force")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    lines = [o.split() for o, _ in outs]
    assert {line[0] for line in lines} <= {"built", "loaded", "rebuilt"}
    assert len({tuple(line[1:]) for line in lines}) == 1
    path = index_file(root, idx)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    _, r, info = load_index(root, idx)
    assert info.status == "loaded" and r.search("configure the proxy").best.entry.id == lines[0][2]


# --- the CLI and start-up ----------------------------------------------------------------------------------


def test_index_command_reports_entries_and_size(tmp_path, capsys):
    root = _make_kb(tmp_path / "kb")
    assert main(["index", "--kb", str(root), "--index", str(tmp_path / "idx")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("built the index in ") and "8 entries from 4 pages (4 parsed, 0 unchanged)" in out
    assert f"index: {index_file(root, tmp_path / 'idx')}" in out
    assert main(["index", "--kb", str(root), "--index", str(tmp_path / "idx")]) == 0
    assert capsys.readouterr().out.startswith("index is up to date: 8 entries from 4 pages, ")
    assert main(["index", "--kb", str(root), "--index", str(tmp_path / "idx"), "--force"]) == 0
    assert "rebuilt the index in " in capsys.readouterr().out


def test_ask_uses_and_refreshes_the_index(tmp_path, capsys):
    root = _make_kb(tmp_path / "kb")
    args = ["--kb", str(root), "--index", str(tmp_path / "idx")]
    assert main(["ask", "configure the proxy", *args]) == 0
    assert "proxy number 2" in capsys.readouterr().out
    assert index_file(root, tmp_path / "idx").exists()
    index_file(root, tmp_path / "idx").write_bytes(b"junk")
    assert main(["ask", "configure the proxy", *args]) == 0
    out, err = capsys.readouterr()
    assert "proxy number 2" in out and "faq-assistant: warning: saved index" in err and "rebuilding it" in err


_STARTUP = """
import sys
from assistant.cli import main
main(sys.argv[1:])
heavy = sorted(m for m in ("sklearn", "pandas", "scipy", "matplotlib", "ipywidgets", "sqlite3", "markdown_it")
               if m in sys.modules)
print("HEAVY", heavy)
"""


def test_a_command_imports_only_what_it_needs(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FAQ_ASSISTANT_INDEX_DIR": str(tmp_path)}

    def heavy(*argv: str) -> str:
        out = subprocess.run([sys.executable, "-c", _STARTUP, *argv], capture_output=True, text=True, env=env,
                             timeout=120).stdout
        return out.rsplit("HEAVY", 1)[1].strip()

    out = subprocess.run([sys.executable, "-c", "import assistant, assistant.cli, sys; "
                          "print(sorted(m for m in ('sklearn', 'pandas', 'scipy', 'numpy', 'matplotlib') "
                          "if m in sys.modules))"], capture_output=True, text=True, env=env, timeout=120).stdout
    assert out.strip() == "[]"
    heavy("ask", "Can I enforce SSO?")  # builds the bundled knowledge base's index
    assert heavy("ask", "Can I enforce SSO?") == "[]"  # read back: no parser, no scikit-learn, scipy or pandas


def test_front_matter_dates_and_odd_text_round_trip(tmp_path):
    root = tmp_path / "kb"
    root.mkdir()
    (root / "dated.md").write_text("---\ntitle: Dated\ndate: 2024-01-02\nupdated: 2024-01-02T10:30:00\n"
                                   "keywords: [a, b]\n---\n## What about caf\u00e9 and \u5206\u5e03\u5f0f?\n\n"
                                   "Na\u00efve answer \U0001F600 with a \\ backslash.\n", encoding="utf-8")
    (root / "latin1.md").write_bytes("## Where is the caf\u00e9?\n\nIn the lobby.\n".encode("latin-1"))
    kb0, _, _ = load_index(root, tmp_path / "idx")
    kb1, r1, info = load_index(root, tmp_path / "idx")
    assert info.status == "loaded"
    assert [vars(e) for e in kb1] == [vars(e) for e in kb0] and kb1.problems == kb0.problems
    fm0, fm1 = kb0.entries[0].front_matter, kb1.entries[0].front_matter
    assert {k: type(v) for k, v in fm1.items()} == {k: type(v) for k, v in fm0.items()}
    assert r1.search("lobby").best.entry.source == "latin1.md"


# --- one saved index for every view of a folder (issue 12, point 4) -----------------------------------


def _forbid_parsing_and_fitting(monkeypatch) -> None:
    """From here on, parsing a folder or fitting a retriever raises: only a fresh saved index can answer."""
    from assistant.knowledge_base import KnowledgeBase as KB

    def refuse(*_args, **_kwargs):
        raise AssertionError("parsed or fitted although the saved index is fresh")

    monkeypatch.setattr(KB, "load", refuse)
    monkeypatch.setattr(TfidfRetriever, "fit", refuse)


def test_cli_console_simulator_and_coverage_share_one_saved_index(tmp_path, monkeypatch, capsys):
    from assistant.coverage import analyze_coverage
    from assistant.widgets import SupportConsole, build_console, build_rollout, build_simulator

    monkeypatch.delenv("FAQ_ASSISTANT_USE_FEEDBACK", raising=False)
    root, idx = _make_kb(tmp_path / "kb"), tmp_path / "idx"
    (root / "sso.md").write_text("## Is DNS verification required to enable SSO?\n\nYes: verify a domain first.\n",
                                 encoding="utf-8")
    assert main(["index", "--kb", str(root), "--index", str(idx)]) == 0
    capsys.readouterr()
    with monkeypatch.context() as m:
        _forbid_parsing_and_fitting(m)
        assert main(["ask", "configure the proxy", "--kb", str(root), "--index", str(idx)]) == 0
        assert "proxy number 2" in capsys.readouterr().out
        assert main(["simulate", "--email", "ana@example.com", "--sso", "enforced", "--kb", str(root),
                     "--index", str(idx)]) == 0
        assert "Is DNS verification required to enable SSO?" in capsys.readouterr().out  # cited from the index
        console = build_console(root, feedback_db=tmp_path / "fb.sqlite3", index_dir=idx)
        assert isinstance(console, SupportConsole) and console.errors == []
        assert console.search("configure the proxy").best.entry.question == "How do I configure proxy number 2?"
        simulator, rollout = build_simulator(root, index_dir=idx), build_rollout(root, index_dir=idx)
        dns = "sso#is-dns-verification-required-to-enable-sso"
        assert simulator.simulator.citations_["verified-domain"] == rollout.simulator.citations_["verified-domain"] \
            == [dns]
        _, retriever, info = load_index(root, idx)
        assert info.status == "loaded"
        report = analyze_coverage(["configure the proxy", "bananas"], retriever)
        assert report.n_covered == 1 and report.n_tickets == 2
        m.setenv("FAQ_ASSISTANT_INDEX_DIR", str(idx))
        assert analyze_coverage(["configure the proxy", "bananas"], kb=root).n_covered == 1  # a folder: its index
    assert [p.relative_to(idx) for p in idx.glob(f"*/{INDEX_FILE}")] == [index_file(root, idx).relative_to(idx)]
    # A changed page: the next view rebuilds the index once (that page alone parsed), the others read it.
    (root / "sso.md").write_text("## Which plans include single sign-on?\n\nBusiness.\n", encoding="utf-8")
    rollout = build_rollout(root, index_dir=idx)
    assert rollout.simulator.citations_["verified-domain"] == []  # the cited entry is gone from the page
    assert rollout.simulator.missing_["verified-domain"] == ["is-dns-verification-required-to-enable-sso"]
    with monkeypatch.context() as m:
        _forbid_parsing_and_fitting(m)
        console = build_console(root, feedback_db=tmp_path / "fb.sqlite3", index_dir=idx)
        best = console.search("which plans include single sign-on").best
        assert best.entry.question == "Which plans include single sign-on?"
