"""Shared fixtures: role users, a test client that has passed the second factor, the PostgreSQL-only
marker, and Playwright in Debian's Chromium."""
import os
import shutil
import time

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django_otp import login as otp_login
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from fundops import security
from tests import factories

IN_CI = bool(os.environ.get("CI"))

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


def missing_tool(message):
    """A tool the tests need is absent: CI fails on it (nothing may pass by not running); elsewhere skip, saying why."""
    if IN_CI:
        pytest.fail(f"{message} — CI must have it: `make test` / `make test-browser` install it.", pytrace=False)
    pytest.skip(message)


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(
                    reason="needs real concurrent transactions: runs in .ci/run's PostgreSQL pass (DATABASE_URL=postgres://…)"
                )
            )


def pytest_runtest_setup(item):
    if "browser" in item.keywords and not os.path.exists(CHROMIUM):
        missing_tool(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploads go to a throw-away folder, never the developer's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _demo_data_allowed(settings):
    """load_demo refuses to run with DEBUG off; the suite runs with DEBUG off on a throw-away database."""
    settings.DEMO_DATA_ALLOWED = True


# Signing in ------------------------------------------------------------------


def confirmed_authenticator(user):
    """The user's authenticator app, set up now if their role requires one and they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None and security.second_factor_required(user):
        device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    return device


def totp_code(device):
    """The code the person's app shows now — one step on if this step's code was already used,
    since a code works once (the device's tolerance of one step accepts it)."""
    device.refresh_from_db()
    step_now = (int(time.time()) - device.t0) // device.step + device.drift
    ahead = max(0, device.last_t + 1 - step_now)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead):0{device.digits}d}"


class SignedInClient(Client):
    """The test client, signed in as a person is after the code step: staff get an authenticator
    (django_otp's own `login` marks the session verified). Tests of the second factor itself use a
    plain `django.test.Client`."""

    def login(self, **credentials):
        # django-axes needs the request to count failures against an address.
        credentials.setdefault("request", RequestFactory().post("/accounts/login/", REMOTE_ADDR="127.0.0.1"))
        if not super().login(**credentials):
            return False
        from django.contrib.auth import get_user_model

        self._pass_second_factor(get_user_model().objects.get(username=credentials["username"]))
        return True

    def force_login(self, user, backend=None):
        super().force_login(user, backend)
        self._pass_second_factor(user)

    def _pass_second_factor(self, user):
        device = confirmed_authenticator(user)
        if device is None:
            return
        request = HttpRequest()
        request.session = self.session
        request.user = user
        otp_login(request, device)
        request.session.save()


@pytest.fixture
def client():
    return SignedInClient()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


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
    # Whatever a browser test does, nothing on the way may break the Content-Security-Policy.
    violations = []
    page.on("console", lambda message: "Content Security Policy" in message.text and violations.append(message.text))
    yield page
    context.close()
    assert violations == [], f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def sign_in():
    """Password, then — for staff, or anyone with an authenticator — the code their app shows now."""

    def _sign_in(page, user, password=factories.PASSWORD):
        device = confirmed_authenticator(user)
        page.goto("/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        if device is not None:
            assert "/accounts/verify/" in page.url, f"expected the code step, got {page.url}"
            page.fill("#id_code", totp_code(device))
            page.click("main button[type=submit]")
            page.wait_for_url(lambda url: "/accounts/verify/" not in url)

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
        missing_tool("pdftotext (Debian's poppler-utils) is not installed: apt-get install -y poppler-utils")
    return path
