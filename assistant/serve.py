"""Serve the support console as a standalone web page with Voilà, idle kernels shut down.

``faq-assistant console`` calls :func:`voila_command` and runs it. Each browser tab that opens the
console starts its own Python kernel (about 250 MB); Voilà keeps it after the tab closes unless
its kernel manager culls idle kernels, so the command always passes
``--MappingKernelManager.cull_idle_timeout`` / ``cull_interval`` (a closed tab's kernel has no
connection and goes once idle for the timeout).

The widgets in the page only render when the browser side of ipywidgets matches the Python side
(``ipywidgets`` 8 needs ``jupyterlab_widgets`` 3 and ``widgetsnbextension`` 4); otherwise JupyterLab
shows "Error displaying widget: model not found" and Voilà "Loading widget..." forever.
:func:`widget_version_problems` checks that before serving.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

__all__ = ["NOTEBOOK_CELLS", "write_notebook", "voila_command", "widget_version_problems", "serve_console",
           "DEFAULT_CULL_IDLE_TIMEOUT"]

#: Seconds a kernel may stay idle (no tab connected, no code running) before Voilà shuts it down.
DEFAULT_CULL_IDLE_TIMEOUT = 300

#: The console notebook's code cells (``notebooks/support_console.ipynb`` holds the same).
NOTEBOOK_CELLS = ("from assistant.widgets import build_console", "console = build_console()", "console")

# ipywidgets major version -> the front-end packages' major versions it works with.
_FRONT_ENDS = {8: {"jupyterlab_widgets": 3, "widgetsnbextension": 4}, 7: {"jupyterlab_widgets": 1, "widgetsnbextension": 3}}


def _major(version: str) -> int:
    return int(version.split(".", 1)[0])


def widget_version_problems(versions: dict[str, str | None] | None = None) -> list[str]:
    """Why the console's widgets would not render in the browser; ``[]`` when they will.

    Parameters
    ----------
    versions : dict, optional
        ``{"ipywidgets": "8.1.2", "jupyterlab_widgets": "3.0.10", "widgetsnbextension": "4.0.10",
        "anywidget": "0.9.0"}`` (``None``: not installed); default: the installed distributions.

    Returns
    -------
    list of str
        One sentence per mismatch, naming both versions and the ``pip install`` that fixes it.
    """
    names = ("ipywidgets", "jupyterlab_widgets", "widgetsnbextension", "anywidget")
    if versions is None:
        versions = {}
        for name in names:
            try:
                versions[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                versions[name] = None
    problems: list[str] = []
    ipw = versions.get("ipywidgets")
    if not ipw:
        return ["ipywidgets is not installed: pip install 'ipywidgets>=8'"]
    wanted = _FRONT_ENDS.get(_major(ipw))
    if wanted is None:
        return [f"ipywidgets {ipw} is not supported: pip install 'ipywidgets>=8,<9'"]
    for name, major in wanted.items():
        have = versions.get(name)
        if not have or _major(have) != major:
            problems.append(f"ipywidgets {ipw} needs {name} {major}.x in the browser, but "
                            f"{'none is installed' if not have else f'{have} is installed'}: the widgets would show "
                            f"'model not found' / 'Loading widget...'. Fix: pip install '{name}>={major},<{major + 1}'")
    if not versions.get("anywidget"):
        problems.append("anywidget is not installed (the console's Copy button and shortcuts): pip install anywidget")
    return problems


def write_notebook(folder: str | os.PathLike, *, kb: str | os.PathLike | None = None,
                   feedback_db: str | os.PathLike | None = None, site_url: str | None = None,
                   index_dir: str | os.PathLike | None = None) -> Path:
    """Write the console notebook into ``folder``; return its path.

    The installed package carries no ``.ipynb`` file, so the command writes one into a temporary
    folder. Without arguments its code cells are :data:`NOTEBOOK_CELLS`, the cells of the
    repository's ``notebooks/support_console.ipynb``; ``kb``, ``feedback_db``, ``site_url`` and
    ``index_dir`` (``--index``: the kernel reads the same saved index as the other commands) become
    arguments of ``build_console`` (absolute paths; else the environment decides, see
    :mod:`assistant.config`).
    """
    path = Path(folder) / "support_console.ipynb"
    args = {"kb_path": kb and str(Path(kb).expanduser().resolve()),
            "feedback_db": feedback_db and str(Path(feedback_db).expanduser().resolve()), "site_url": site_url,
            "index_dir": index_dir and str(Path(index_dir).expanduser().resolve())}
    given = ", ".join(f"{k}={v!r}" for k, v in args.items() if v)
    sources = [NOTEBOOK_CELLS[0], f"console = build_console({given})", *NOTEBOOK_CELLS[2:]]
    cells = [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": ["# Support console"]}]
    cells += [{"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {}, "outputs": [],
               "source": [src]} for i, src in enumerate(sources)]
    nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                                      "name": "python3"}, "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def voila_command(notebook: str | os.PathLike, *, port: int = 8866, ip: str = "127.0.0.1",
                  cull_idle_timeout: int = DEFAULT_CULL_IDLE_TIMEOUT, cull_interval: int | None = None,
                  open_browser: bool = False) -> list[str]:
    """The ``voila`` command line that serves ``notebook`` with idle kernels culled.

    ``cull_interval`` (seconds between checks) defaults to a fifth of the timeout, at least 1 s.
    Raises ``ValueError`` for a timeout below 1 s or a port outside 0..65535.
    """
    if cull_idle_timeout < 1:
        raise ValueError(f"cull_idle_timeout must be at least 1 second, got {cull_idle_timeout}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be in 0..65535, got {port}")
    interval = cull_interval if cull_interval is not None else max(1, cull_idle_timeout // 5)
    cmd = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"--Voila.ip={ip}",
           f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
           f"--MappingKernelManager.cull_interval={interval}",
           "--MappingKernelManager.cull_connected=False", "--show_tracebacks=False"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def serve_console(*, kb: str | os.PathLike | None = None, feedback_db: str | os.PathLike | None = None,
                  site_url: str | None = None, port: int = 8866, ip: str = "127.0.0.1",
                  cull_idle_timeout: int = DEFAULT_CULL_IDLE_TIMEOUT, open_browser: bool = False,
                  dry_run: bool = False, index_dir: str | os.PathLike | None = None) -> tuple[list[str], int]:
    """Serve the console with Voilà until it stops; return the command and its exit code.

    The notebook is written to a temporary folder (removed afterwards); ``kb``, ``feedback_db``,
    ``site_url`` and ``index_dir`` go to :func:`write_notebook`. ``dry_run`` only builds
    the command (exit code 0). Raises ``ValueError`` for a bad port or timeout,
    ``FileNotFoundError`` for a ``kb`` folder that does not exist.
    """
    if kb is not None and not Path(kb).is_dir():
        raise FileNotFoundError(f"{kb}: no such folder")
    with tempfile.TemporaryDirectory(prefix="faq-console-") as folder:
        notebook = write_notebook(folder, kb=kb, feedback_db=feedback_db, site_url=site_url, index_dir=index_dir)
        cmd = voila_command(notebook, port=port, ip=ip, cull_idle_timeout=cull_idle_timeout,
                            open_browser=open_browser)
        if dry_run:
            return cmd, 0
        return cmd, _run_forwarding_signals(cmd, folder)


def _run_forwarding_signals(cmd: list[str], cwd: str) -> int:
    """Run ``cmd`` until it exits; SIGTERM/SIGHUP sent to us go to it too (no orphaned Voilà and
    kernels when a service manager or a test stops the command). Ctrl+C reaches both (same
    process group): we wait for Voilà to finish shutting its kernels down."""
    import signal

    proc = subprocess.Popen(cmd, cwd=cwd)
    forwarded = [sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig]
    previous = {}
    for sig in forwarded:
        try:
            previous[sig] = signal.signal(sig, lambda signum, _frame: proc.send_signal(signum))
        except ValueError:  # not the main thread: nothing to forward from
            pass
    try:
        while True:
            try:
                return proc.wait()
            except KeyboardInterrupt:
                try:
                    proc.wait(30)  # Voilà got the Ctrl+C too and is shutting down
                    return 0
                except subprocess.TimeoutExpired:
                    continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
