"""A real server on localhost and headless Debian Chromium driven by Playwright."""
from __future__ import annotations

import shutil
import threading

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import SHIPPED_CONTENT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, shipped_index):
    """The help center over the shipped articles, served by a real HTTP server in a thread."""
    db_path = tmp_path_factory.mktemp("live-db") / "helpcenter.db"
    app = create_app({
        "SECRET_KEY": "browser-test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "HELPCENTER_CONTENT_DIR": str(SHIPPED_CONTENT),
        "HELPCENTER_INDEX_DIR": str(shipped_index),
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        page.screenshot(path=f"/tmp/failed-{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def assert_accessible(page) -> None:
    """axe-core finds no serious or critical violation on the page (BFSG)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    details = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
    assert bad == [], f"{page.url}: {details}"


@pytest.fixture(scope="module")
def demo_shop(live_server):
    """The demo shop as `flask demo load` loads it (fresh for each module); Anna's recently delivered order."""
    from sqlalchemy import select

    from app.demo.loader import load_demo
    from app.shop.models import Customer, Order
    from tests.conftest import _clear_tables

    with live_server.app.app_context():
        # Fresh means fresh: an earlier module's withdrawal keeps its order, and with it that module's returns,
        # through a demo reload (the declaration is stored unchangeably), which changes what the next module sees.
        _clear_tables()
        live_server.app.extensions["helpcenter.library"].invalidate()
        load_demo()
        live_server.anna_order = db.session.scalar(
            select(Order.number).join(Customer).where(Customer.email == "anna.schmidt@example.com",
                                                      Order.status == "delivered")
            .order_by(Order.placed_at.desc()))
    return live_server


def sign_in(page, url, email, password):
    from playwright.sync_api import expect

    page.goto(url + "/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
