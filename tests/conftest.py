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
