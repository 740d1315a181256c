"""Settings from the environment, read in one place for the CLI, the widgets and the feedback store.

| variable | default | meaning |
|---|---|---|
| ``FAQ_ASSISTANT_KB`` | the bundled knowledge base | folder of FAQ markdown to answer from |
| ``FAQ_ASSISTANT_FEEDBACK_DB`` | ``$XDG_DATA_HOME/faq-assistant/feedback.sqlite3`` | feedback database |
| ``FAQ_ASSISTANT_SITE_URL`` | none | base URL of the published FAQ site (full links in replies) |
| ``FAQ_ASSISTANT_USE_FEEDBACK`` | ``0`` | ``1``: accepted feedback becomes alternate questions |
| ``FAQ_ASSISTANT_INDEX_DIR`` | ``$XDG_CACHE_HOME/faq-assistant`` | folder of saved indexes (:mod:`assistant.index`) |

``XDG_DATA_HOME`` defaults to ``~/.local/share`` and ``XDG_CACHE_HOME`` to ``~/.cache`` (XDG Base
Directory Specification). An argument
given explicitly (``--kb``, ``build_console(kb_path=...)``) always wins over the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "KB_VAR", "FEEDBACK_DB_VAR", "SITE_URL_VAR", "USE_FEEDBACK_VAR", "INDEX_DIR_VAR"]

KB_VAR = "FAQ_ASSISTANT_KB"
FEEDBACK_DB_VAR = "FAQ_ASSISTANT_FEEDBACK_DB"
SITE_URL_VAR = "FAQ_ASSISTANT_SITE_URL"
USE_FEEDBACK_VAR = "FAQ_ASSISTANT_USE_FEEDBACK"
INDEX_DIR_VAR = "FAQ_ASSISTANT_INDEX_DIR"


def _get(environ: Mapping[str, str], name: str) -> str | None:
    return (environ.get(name) or "").strip() or None


@dataclass(frozen=True)
class Settings:
    """What the environment says; ``None`` where it says nothing.

    ``kb`` is the knowledge-base folder (``None``: the bundled one), ``feedback_db`` the feedback
    database path (always set: the XDG default when the variable is unset), ``site_url`` the
    published site's base URL, ``use_feedback`` whether accepted feedback becomes alternates,
    ``index_dir`` the folder of saved indexes (``None`` only when built by hand: no saved index).
    """

    kb: Path | None
    feedback_db: Path
    site_url: str | None
    use_feedback: bool
    index_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the variables in the module docstring from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        kb = _get(env, KB_VAR)
        db = _get(env, FEEDBACK_DB_VAR)
        if db is None:
            data_home = _get(env, "XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
            feedback_db = Path(data_home).expanduser() / "faq-assistant" / "feedback.sqlite3"
        else:
            feedback_db = Path(db).expanduser()
        return cls(
            kb=Path(kb).expanduser() if kb else None,
            feedback_db=feedback_db,
            site_url=_get(env, SITE_URL_VAR),
            use_feedback=(_get(env, USE_FEEDBACK_VAR) or "0") != "0",
            index_dir=Path(_get(env, INDEX_DIR_VAR) or Path(_get(env, "XDG_CACHE_HOME") or Path.home() / ".cache")
                           / "faq-assistant").expanduser(),
        )
