"""The support console in a real browser: ``faq-assistant console`` serves it with Voilà, headless
Debian chromium drives it (Playwright, ``executable_path``: no browser is ever downloaded).

Skipped when /usr/bin/chromium is missing, unless FAQ_ASSISTANT_REQUIRE_BROWSER=1 (CI), which
makes it fail instead. Saves ``artifacts/console-*.png``; with FAQ_ASSISTANT_UPDATE_SCREENSHOT=1
it also rewrites the README's ``docs/console.png`` (1366x768) and ``docs/console-narrow.png`` (700 px).
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
HOSTILE = Path(__file__).parent / "fixtures" / "hostile-kb" / "hostile.md"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DNS = "Is DNS verification required to enable SSO?"
HOLD_OFF = "Can I enable SSO and hold off on the enforcement option?"
CULL_SECONDS = 3
UPDATE = os.environ.get("FAQ_ASSISTANT_UPDATE_SCREENSHOT", "") not in ("", "0")

TICKET = """Hi team,

Three questions:
- Can we turn on SSO but hold off on enforcing it for now?
- Is DNS verification required before SSO works?
- What colour is the office sofa?

Thanks,
Priya Raman
priya@example.com
"""

pytestmark = pytest.mark.browser


def _need_browser() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import axe_playwright_python  # noqa: F401
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


def _wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the console server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"Voilà did not listen on port {port} within {timeout} s:\n{log.read_text()[-3000:]}")


def _kernels(pid: int) -> list:
    import psutil

    try:
        return [p for p in psutil.Process(pid).children(recursive=True)
                if any("ipykernel" in part for part in p.cmdline())]
    except psutil.Error:
        return []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``faq-assistant console`` over the bundled KB plus a hostile FAQ page, idle kernels culled fast."""
    _need_browser()
    tmp = tmp_path_factory.mktemp("console")
    kb = tmp / "kb"
    shutil.copytree(default_kb_path(), kb)
    (kb / "hostile").mkdir()
    shutil.copy(HOSTILE, kb / "hostile" / "hostile.md")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    for var in ("FAQ_ASSISTANT_SITE_URL", "FAQ_ASSISTANT_KB", "FAQ_ASSISTANT_FEEDBACK_DB"):
        env.pop(var, None)
    port = _free_port()
    log = tmp / "voila.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "console", "--kb", str(kb), "--feedback-db", str(tmp / "fb.sqlite3"),
             "--site-url", "https://docs.example.com/", f"--port={port}", f"--cull-idle-timeout={CULL_SECONDS}"],
            cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, proc, log)
        yield {"url": f"http://127.0.0.1:{port}/", "feedback_db": tmp / "fb.sqlite3", "log": log, "proc": proc}
    finally:
        import psutil

        voila = psutil.Process(proc.pid).children()
        proc.terminate()  # the command passes SIGTERM on to Voilà, which shuts its kernels down
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        gone, alive = psutil.wait_procs(voila, timeout=20)
        for child in alive:
            child.kill()
        assert alive == [], "stopping faq-assistant console left Voilà running"


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # each step waits for a kernel round trip; CI machines are busy
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser, server, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server["url"].rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(30_000)
    # Nothing leaves 127.0.0.1 (Voilà's page asks for a CDN font/MathJax; not needed).
    page.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).hostname == "127.0.0.1"
               else route.abort())
    page.goto(server["url"])
    # The first load starts a kernel and runs the notebook (imports, knowledge base, retriever):
    # allow for a busy 2-core CI machine.
    page.get_by_label("Question", exact=True).wait_for(timeout=90_000)
    return context, page


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    vp = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= vp["height"] and box["x"] + box["width"] <= vp["width"]


def _no_active_content(page) -> list[str]:
    return page.evaluate("""() => {
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


def test_ticket_beside_suggestions_and_draft_at_1366x768(server, browser):
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect

    context, page = _open(browser, server, 1366, 768)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        # Paste a signed three-question ticket; Ctrl+Enter finds answers.
        ticket = page.get_by_label("Ticket", exact=True)
        ticket.fill(TICKET)
        ticket.press("Control+Enter")
        expect(page.get_by_text("Found 3 questions in the ticket")).to_be_visible()
        blocks = page.locator(".faq-question")
        expect(blocks).to_have_count(3)
        # Questions as people read them: no list marker.
        expect(blocks.nth(0).locator(".faq-quote")).to_have_text("Can we turn on SSO but hold off on enforcing it for now?")

        # One answer per question at most, the rest "also consider" and not green; abstaining says so.
        for i in range(3):
            assert blocks.nth(i).locator(".faq-card-answer").count() <= 1
        expect(blocks.nth(2)).to_contain_text("No answer in the FAQ")
        expect(blocks.nth(2).locator(".faq-card-answer")).to_have_count(0)
        answer = blocks.nth(0).locator(".faq-card-answer")
        also = blocks.nth(0).locator(".faq-card-also").first
        expect(answer).to_contain_text(HOLD_OFF)
        green = answer.evaluate("el => getComputedStyle(el).borderLeftColor")
        other = also.evaluate("el => getComputedStyle(el).borderLeftColor")
        assert green == "rgb(46, 125, 50)" and other != green
        assert also.locator(".faq-bar > span").evaluate("el => getComputedStyle(el).backgroundColor") != green

        # Alt+A accepts the top suggestion; the draft greets the customer by name and cites full links.
        page.keyboard.press("Alt+a")
        draft = page.get_by_label("Reply draft", exact=True)
        expect(draft).to_have_value(re.compile(r"^Hi Priya,\n"))
        expect(draft).to_have_value(re.compile(re.escape(f"**{HOLD_OFF}**")))
        expect(draft).to_have_value(re.compile(r"https://docs\.example\.com/single-sign-on/enforcement-faqs/#can-i"))

        # Side by side: the ticket, the first question's suggestions and the draft, without scrolling.
        assert page.evaluate("() => window.scrollY") == 0
        for part in (ticket, blocks.nth(0).locator(".faq-quote"), answer, draft,
                     page.get_by_role("button", name="Copy the reply draft")):
            assert _in_viewport(page, part), part
        assert ticket.bounding_box()["x"] + ticket.bounding_box()["width"] <= answer.bounding_box()["x"]
        page.screenshot(path=str(ROOT / "artifacts" / "console-wide.png"))
        if UPDATE:
            page.screenshot(path=str(ROOT / "docs" / "console.png"))

        # The draft is never lost: edit it, run Find answers again, the edit stays.
        draft.press("End")
        draft.press("Control+End")
        draft.type("\nPS: we can call you tomorrow.")
        page.get_by_role("button", name="Find answers").click()
        expect(page.get_by_text("Found 3 questions in the ticket")).to_be_visible()
        page.wait_for_timeout(300)
        expect(draft).to_have_value(re.compile("PS: we can call you tomorrow."))
        expect(draft).to_have_value(re.compile(re.escape(f"**{HOLD_OFF}**")))
        expect(blocks.nth(0).locator(".faq-card-answer").get_by_role("button", name="Accept")).to_be_disabled()
        # Accepting another answer adds it to the edited text.
        blocks.nth(1).locator(".faq-card-answer").get_by_role("button", name="Accept").click()
        expect(draft).to_have_value(re.compile(re.escape(f"**{DNS}**")))
        expect(draft).to_have_value(re.compile("PS: we can call you tomorrow."))
        # Rebuilding asks first; undo brings the edit back.
        page.get_by_role("button", name="Rebuild draft").click()
        page.get_by_role("button", name="Replace my edits").click()
        expect(draft).not_to_have_value(re.compile("PS: we can call"))
        page.get_by_role("button", name="Undo rebuild").click()
        expect(draft).to_have_value(re.compile("PS: we can call you tomorrow."))

        # Copy puts the draft on the clipboard.
        page.get_by_role("button", name="Copy the reply draft").click()
        expect(page.get_by_text("Copied the draft to the clipboard.")).to_be_visible()
        assert page.evaluate("() => navigator.clipboard.readText()") == draft.input_value()

        # Enter searches the question box; leaving it does not.
        box = page.get_by_label("Question", exact=True)
        box.fill("is dns verification needed before I can enable sso")
        page.get_by_label("Ticket", exact=True).click()
        page.wait_for_timeout(500)
        expect(page.get_by_text(re.compile("^Answer found for"))).to_have_count(0)
        box.press("Enter")
        expect(page.get_by_text(re.compile("^Answer found for"))).to_be_visible()

        # Focus order follows the layout: question, Search, ticket, Find answers, ..., then the right column.
        box.focus()
        order = []
        for _ in range(4):
            page.keyboard.press("Tab")
            order.append(page.evaluate("() => document.activeElement.getAttribute('aria-label') || "
                                       "document.activeElement.textContent.trim() || document.activeElement.tagName"))
        assert order[0] == "Search" and order[1] == "TEXTAREA" and order[2] == "Find answers", order

        # Keyboard and accessibility: every control labelled, axe-core finds nothing serious.
        violations = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        assert dialogs == []
        expect(page.locator(".faq-console").get_by_role("alert")).to_have_count(0)  # no callback raised
    finally:
        context.close()
    with FeedbackStore(server["feedback_db"]) as store:
        df = store.to_frame()
    assert df["verdict"].tolist() == ["accepted", "accepted"] and set(df["origin"]) == {"ticket"}
    assert not df["ticket"].str.contains("priya@example.com").any()


def test_hostile_faq_and_ticket_run_no_script(server, browser):
    from playwright.sync_api import expect

    context, page = _open(browser, server, 1366, 900)
    dialogs: list[str] = []
    page_errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    try:
        box = page.get_by_label("Question", exact=True)
        box.fill("how do I reset my hostile password <img src=x onerror=\"window.__faqPwned='query'\">")
        box.press("Enter")
        console = page.locator(".faq-console")
        expect(console.locator(".faq-card-answer")).to_contain_text("How do I reset my hostile password?")
        expect(console.get_by_text('<script>window.__faqPwned = "script"; alert("script")</script>')).to_be_visible()
        expect(console.get_by_role("link", name="safe link")).to_have_attribute("href", "https://example.com/reset")
        expect(console.get_by_role("link", name="relative link")).to_have_attribute(
            "href", "https://docs.example.com/other/page/")
        page.get_by_label("Ticket", exact=True).fill(
            "Hi,\nIs DNS verification required for SSO? <img src=x onerror=\"alert(document.domain)\">\n\nThanks,\nSam")
        page.get_by_role("button", name="Find answers").click()
        expect(page.get_by_text("Found 1 question in the ticket")).to_be_visible()
        page.wait_for_timeout(300)  # let the last comm messages settle before looking for side effects
        assert page.evaluate("() => window.__faqPwned") is None, "a script from the FAQ or ticket ran"
        assert dialogs == [] and _no_active_content(page) == []
        assert not [e for e in page_errors if "__faqPwned" in e]
    finally:
        context.close()


def test_usable_at_700px(server, browser):
    from playwright.sync_api import expect

    context, page = _open(browser, server, 700, 900)
    try:
        page.get_by_label("Ticket", exact=True).fill(TICKET)
        page.get_by_role("button", name="Find answers").click()
        expect(page.get_by_text("Found 3 questions in the ticket")).to_be_visible()
        # Stacked, nothing wider than the window, and a card's source link takes one line.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 700
        link = page.locator(".faq-card-answer .faq-meta a").first
        line = float(link.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 18"))
        assert link.bounding_box()["height"] <= 2 * line
        from axe_playwright_python.sync_playwright import Axe

        violations = [v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert violations == [], [(v["id"], v["help"]) for v in violations]
        page.screenshot(path=str(ROOT / "artifacts" / "console-narrow.png"))
        if UPDATE:
            page.screenshot(path=str(ROOT / "docs" / "console-narrow.png"))
    finally:
        context.close()


def test_closed_tabs_leave_no_kernel_running(server, browser):
    from playwright.sync_api import expect

    deadline = time.monotonic() + 60
    while _kernels(server["proc"].pid) and time.monotonic() < deadline:  # earlier tests' kernels go first
        time.sleep(0.5)
    context, page = _open(browser, server, 1000, 700)
    page.get_by_label("Question", exact=True).fill("dns verification")
    page.get_by_label("Question", exact=True).press("Enter")
    expect(page.get_by_text(re.compile("^Answer found for"))).to_be_visible()
    assert len(_kernels(server["proc"].pid)) == 1
    context.close()  # the tab closes
    deadline = time.monotonic() + 10 * CULL_SECONDS + 20
    while _kernels(server["proc"].pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _kernels(server["proc"].pid) == [], "Voilà kept the closed tab's kernel running"


def test_a_ticket_with_300_questions_renders_quickly(server, browser):
    from playwright.sync_api import expect

    context, page = _open(browser, server, 1366, 768)
    try:
        ticket = "\n".join(f"- Is DNS verification required for domain {i}?" for i in range(300))
        page.get_by_label("Ticket", exact=True).fill(ticket)
        start = time.monotonic()
        page.get_by_role("button", name="Find answers").click()
        expect(page.get_by_text("Found 300 questions in the ticket; showing the first 20")).to_be_visible(timeout=30_000)
        expect(page.locator(".faq-question")).to_have_count(20)
        shown = time.monotonic() - start
        page.get_by_role("button", name=re.compile(r"Show more questions \(280 not shown\)")).click()
        expect(page.locator(".faq-question")).to_have_count(40)
        print(f"300-question ticket: first 20 questions shown after {shown:.1f} s")
        expect(page.locator(".faq-console").get_by_role("alert")).to_have_count(0)
    finally:
        context.close()
