"""End-to-end fixtures: a live waitress server on a free port against a fresh migrated database,
and headless Chromium (Debian's package at /usr/bin/chromium, driven by Playwright)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("FEEDBACK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _need_browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) to run e2e tests")


@pytest.fixture
def live_server(backend, fresh_db_url):
    """(base_url, session_factory) of a real server on a free port; the database is the test's own."""
    _need_browser()
    if backend.name != "sqlite":
        pytest.skip("the browser tests run once, against SQLite (the pages are backend-independent; "
                    "the functional tests cover both databases)")
    from waitress import create_server

    from feedback import main
    from feedback.models import get_engine, get_session_factory

    app = main({}, **{"sqlalchemy.url": fresh_db_url, "feedback.secret": "e2e-secret-" + "y" * 32,
                      "feedback.secure_cookies": "false", "feedback.broker": "stub", "nlp.model": "lexicon",
                      "pyramid.reload_templates": "false"})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    try:
        yield f"http://127.0.0.1:{server.effective_port}", get_session_factory(engine)
    finally:
        # close the server and its open connections from the server's own loop thread (a thunk on
        # its trigger): closed from here, a socket the loop is select()ing on raises EBADF there
        from waitress import wasyncore

        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture
def browser():
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    """A page that records CSP violations and page errors (the test asserts there are none)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.problems = []
    pg.on("console", lambda m: pg.problems.append(m.text)
          if m.type == "error" and ("Content Security Policy" in m.text or "Refused" in m.text) else None)
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def shot(page, request):
    """shot("name") saves a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.replace("[", "-").replace("]", "")

    def take(name: str):
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
