"""Shared fixtures: the bundled KB, and ../shared (skipped on a machine without it, required in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import KnowledgeBase, TfidfRetriever, default_kb_path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("FAQ_ASSISTANT_SHARED", ROOT.parent / "shared"))


def _require(flag: str) -> bool:
    return os.environ.get(flag, "") not in ("", "0")


@pytest.fixture(scope="session", autouse=True)
def _index_dir(tmp_path_factory) -> Path:
    """Saved indexes (assistant.index) of the whole run go to a temporary folder, never ~/.cache."""
    folder = tmp_path_factory.mktemp("index")
    old = os.environ.get("FAQ_ASSISTANT_INDEX_DIR")
    os.environ["FAQ_ASSISTANT_INDEX_DIR"] = str(folder)  # subprocesses inherit it
    yield folder
    if old is None:
        os.environ.pop("FAQ_ASSISTANT_INDEX_DIR", None)
    else:
        os.environ["FAQ_ASSISTANT_INDEX_DIR"] = old


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared``: fails when FAQ_ASSISTANT_REQUIRE_SHARED=1 (CI) and it is missing, else skips."""
    if not (SHARED / "corpus").is_dir():
        if _require("FAQ_ASSISTANT_REQUIRE_SHARED"):
            pytest.fail(f"{SHARED} is missing but FAQ_ASSISTANT_REQUIRE_SHARED=1")
        pytest.skip(f"{SHARED} not present")
    return SHARED


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(default_kb_path())


@pytest.fixture(scope="session")
def retriever(kb) -> TfidfRetriever:
    return TfidfRetriever().fit(kb)
