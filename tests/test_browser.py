"""The support console in a real browser: Voilà serves the notebook, headless Debian chromium drives it.

Skipped when /usr/bin/chromium is missing, unless FAQ_ASSISTANT_REQUIRE_BROWSER=1 (CI), which
makes it fail instead. Playwright never downloads a browser here (``executable_path`` is set).
Saves ``artifacts/console-browser.png``; with FAQ_ASSISTANT_UPDATE_SCREENSHOT=1 it also rewrites
the README's ``docs/console.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from assistant import default_kb_path
from assistant.feedback import FeedbackStore

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "support_console.ipynb"
HOSTILE = Path(__file__).parent / "fixtures" / "hostile-kb" / "hostile.md"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DNS = "Is DNS verification required to enable SSO?"

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
            import voila  # noqa: F401
        except ImportError as exc:
            missing = f"{exc.name} is not installed (pip install '.[test]')"
    if missing:
        if os.environ.get("FAQ_ASSISTANT_REQUIRE_BROWSER", "") not in ("", "0"):
            pytest.fail(f"{missing} but FAQ_ASSISTANT_REQUIRE_BROWSER=1")
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Voilà exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"Voilà did not listen on port {port} within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def voila_url(tmp_path):
    """Voilà serving the console notebook over the bundled KB plus a hostile FAQ page."""
    _need_browser()
    kb = tmp_path / "kb"
    shutil.copytree(default_kb_path(), kb)
    (kb / "hostile").mkdir()
    shutil.copy(HOSTILE, kb / "hostile" / "hostile.md")
    env = dict(os.environ, FAQ_ASSISTANT_KB=str(kb), FAQ_ASSISTANT_FEEDBACK_DB=str(tmp_path / "feedback.sqlite3"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    env.pop("FAQ_ASSISTANT_SITE_URL", None)
    port = _free_port()
    log = tmp_path / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "voila", str(NOTEBOOK), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
             "--show_tracebacks=True"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}/", tmp_path / "feedback.sqlite3", log
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_console_in_voila(voila_url):
    from playwright.sync_api import expect, sync_playwright

    url, feedback_db, log = voila_url
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    dialogs: list[str] = []
    page_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.set_default_timeout(30_000)
            # Nothing leaves 127.0.0.1 (Voilà's page asks for a CDN font/MathJax; not needed).
            page.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1"
                       else route.abort())
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(url)

            # Search: type a question, press Enter, see the expected FAQ entry first.
            box = page.get_by_label("Question", exact=True)
            box.fill("is dns verification needed before I can enable sso")
            box.press("Enter")
            expect(page.get_by_text(re.compile(r"^Answered: \d+ FAQ entr"))).to_be_visible()
            expect(page.get_by_role("heading", name=f"1. {DNS}")).to_be_visible()
            expect(page.get_by_text("You must verify a domain before using it with an SSO connection.")).to_be_visible()
            console = page.locator(".faq-console")
            if os.environ.get("FAQ_ASSISTANT_UPDATE_SCREENSHOT", "") not in ("", "0"):
                page.locator(".faq-console .widget-tab").screenshot(path=str(ROOT / "docs" / "console.png"))

            # Accept the top entry: feedback reaches the database.
            page.get_by_role("button", name="Accept").first.click()
            expect(page.get_by_text("Accepted.")).to_be_visible()

            # The hostile FAQ page renders as text, with the query escaped too.
            box.fill("how do I reset my hostile password <img src=x onerror=\"window.__faqPwned='query'\">")
            box.press("Enter")
            expect(page.get_by_role("heading", name="1. How do I reset my hostile password?")).to_be_visible()
            expect(console.get_by_text('<script>window.__faqPwned = "script"; alert("script")</script>')).to_be_visible()
            expect(console.get_by_role("link", name="safe link")).to_have_attribute("href", "https://example.com/reset")

            # Ticket: paste a hostile ticket, find answers, accept one, get a draft.
            page.get_by_role("tab", name="Ticket").click()
            page.get_by_label("Ticket", exact=True).fill(
                "Hi,\nIs DNS verification required for SSO? <img src=x onerror=\"alert(document.domain)\">"
                "\n\nThanks,\nSam")
            page.get_by_role("button", name="Find answers").click()
            expect(page.get_by_text("Found 1 question in the ticket")).to_be_visible()
            page.get_by_role("button", name="Accept").first.click()
            expect(page.get_by_label("Reply draft", exact=True)).to_have_value(
                re.compile(r"\*\*Is DNS verification required to enable SSO\?\*\*"))
            page.wait_for_timeout(300)  # let the last comm messages settle before looking for side effects

            assert page.evaluate("() => window.__faqPwned") is None, "a script from the FAQ or ticket ran"
            assert dialogs == [], f"a dialog fired: {dialogs}"
            active = page.evaluate("""() => {
                const root = document.querySelector('.faq-console');
                const bad = [];
                for (const el of root.querySelectorAll('*')) {
                    const tag = el.tagName.toLowerCase();
                    if (['script', 'iframe', 'object', 'embed'].includes(tag)) bad.push(tag);
                    if (tag === 'img') bad.push('img ' + el.getAttribute('src'));
                    for (const a of el.attributes) {
                        if (a.name.startsWith('on')) bad.push(tag + ' ' + a.name);
                        if (['href', 'src'].includes(a.name) && /^\\s*(javascript|data|vbscript):/i.test(a.value))
                            bad.push(tag + ' ' + a.value);
                    }
                }
                return bad;
            }""")
            assert active == []
            expect(console.get_by_role("alert")).to_have_count(0)  # no callback raised
            page.screenshot(path=str(artifacts / "console-browser.png"), full_page=True)
        finally:
            browser.close()
    assert not [e for e in page_errors if "__faqPwned" in e]
    with FeedbackStore(feedback_db) as store:
        df = store.to_frame()
    assert df[["entry_id", "verdict", "origin"]].values.tolist() == [
        ["security/single-sign-on/enforcement-faqs#is-dns-verification-required-to-enable-sso", "accepted", "search"],
        ["security/single-sign-on/enforcement-faqs#is-dns-verification-required-to-enable-sso", "accepted", "ticket"],
    ]
