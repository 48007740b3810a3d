"""Shared fixtures: role users, the PostgreSQL-only marker, and Playwright in Debian's Chromium."""
import os
import shutil

import pytest
from django.db import connection

from tests import factories

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    has_chromium = os.path.exists(CHROMIUM)
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs real concurrent transactions: runs in .ci/run's PostgreSQL pass (DATABASE_URL=postgres://…)"
                )
            )
        if "browser" in item.keywords and not has_chromium:
            item.add_marker(
                pytest.mark.skip(reason=f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
            )


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads go to a throw-away folder, never the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def applicant(db):
    return factories.UserFactory(roles=["applicant"])


@pytest.fixture
def program_officer(db):
    return factories.UserFactory(roles=["program_officer"], username="officer")


@pytest.fixture
def reviewer(db):
    return factories.UserFactory(roles=["reviewer"])


@pytest.fixture
def finance_officer(db):
    return factories.UserFactory(roles=["finance_officer"])


@pytest.fixture
def donor_user(db):
    return factories.UserFactory(roles=["donor"], donor=factories.DonorFactory())


# Playwright -----------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls our tests make
    # beside it are still synchronous, so Django's async guard is lifted for browser tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium_browser, live_server):
    context = chromium_browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def sign_in():
    def _sign_in(page, user, password=factories.PASSWORD):
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return _sign_in


@pytest.fixture(scope="session")
def shared_data_dir():
    """../shared/data/360giving beside the checkout; tests needing it skip with a reason when absent."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "360giving"
    if not path.is_dir():
        pytest.skip(f"../shared/data/360giving not found at {path}: 360Giving schema tests need it (CI has it)")
    return path


@pytest.fixture(scope="session")
def pdftotext():
    path = shutil.which("pdftotext")
    if not path:
        pytest.skip("pdftotext (Debian's poppler-utils) is not installed: apt-get install -y poppler-utils")
    return path
