"""No one gets into the fund by guessing: sign-in lockout, the second factor, staff session length,
the Content-Security-Policy, and the refusal to run production on the demo SECRET_KEY.

These tests sign in through the real pages with a plain `django.test.Client`, not the suite's
`client` fixture (which has already passed the second factor for staff)."""
import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from tests.conftest import totp_code
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def password_step(client, username, password=PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def code_step(client, code, next_url=""):
    return client.post(reverse("verify"), {"code": code, "next": next_url})


def enrol(client):
    """Open the set-up page, read the key it shows, type the code an app would compute from it."""
    page = client.get(reverse("security_authenticator"))
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    assert page.context["secret"].replace(" ", "") and page.context["secret"] in page.content.decode()
    return device, client.post(reverse("security_authenticator"), {"code": totp_code(device)})


@pytest.fixture
def finance(db):
    return factories.UserFactory(username="finance", roles=["finance_officer"])


@pytest.fixture
def enrolled_finance(finance):
    TOTPDevice.objects.create(user=finance, name="Phone", confirmed=True)
    return finance


# Lockout ---------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(applicant):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = password_step(client, applicant.username, "guess")
        assert response.status_code == 200 and "did not match" in response.content.decode()
    locked = password_step(client, applicant.username, "guess")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Signing in is paused" in page and "You can try again after" in page

    right = password_step(client, applicant.username, PASSWORD)
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still not signed in
    # Audited: the attempts and each failure are kept for the administrators.
    assert AccessAttempt.objects.filter(username=applicant.username).exists()
    assert AccessFailureLog.objects.filter(username=applicant.username, locked_out=True).exists()


def test_the_lock_holds_for_the_account_from_another_address(applicant):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), applicant.username, "guess", REMOTE_ADDR="203.0.113.7")
    elsewhere = password_step(Client(), applicant.username, PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert elsewhere.status_code == 429


def test_the_lock_holds_for_the_address_whatever_the_account(applicant, reviewer):
    for n in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), f"nobody{n}", "guess", REMOTE_ADDR="203.0.113.7")
    assert password_step(Client(), reviewer.username, PASSWORD, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert password_step(Client(), reviewer.username, PASSWORD, REMOTE_ADDR="198.51.100.9").status_code == 302


def test_the_lockout_page_says_when_to_try_again(applicant):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = password_step(client, applicant.username, "guess")
    ends = response.context["try_again_at"]
    expected = timezone.now() + settings.AXES_COOLOFF_TIME
    assert abs((ends - expected).total_seconds()) < 60
    assert timezone.localtime(ends).strftime("%H:%M") in response.content.decode()


def test_the_lock_lifts_after_the_cool_off(applicant):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, applicant.username, "guess")
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=1))
    assert password_step(client, applicant.username, PASSWORD).status_code == 302
    assert client.get("/").status_code == 200


def test_administrators_see_lockouts_in_the_admin(applicant):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), applicant.username, "guess")
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=admin, name="Phone", confirmed=True)
    client = Client()
    client.force_login(admin)
    assert code_step(client, totp_code(device)).status_code == 302
    page = client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert applicant.username in page


@pytest.mark.parametrize(
    "header, count, forwarded, expected",
    [
        ("", 1, "10.9.9.9", "192.0.2.1"),  # no proxy configured: the header is anyone's to forge
        ("X-Forwarded-For", 1, "10.9.9.9, 198.51.100.4", "198.51.100.4"),
        ("X-Forwarded-For", 2, "10.9.9.9, 198.51.100.4, 172.16.0.2", "198.51.100.4"),
    ],
)
def test_the_address_comes_from_the_proxy_header_only_when_configured(settings, header, count, forwarded, expected):
    from django.test import RequestFactory

    from fundops.security import client_ip

    settings.TRUSTED_PROXY_IP_HEADER, settings.TRUSTED_PROXY_COUNT = header, count
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# Second factor ---------------------------------------------------------------

STAFF_PAGES = ["/", "/admin/", "/finance/", "/reviews/", "/applications/screening/", "/reports/", "/accounts/security/"]


@pytest.mark.parametrize("role", ["program_officer", "finance_officer", "admin"])
def test_staff_without_a_second_factor_are_sent_to_enrol_and_reach_nothing_else(role):
    user = (
        factories.UserFactory(is_staff=True, is_superuser=True)
        if role == "admin"
        else factories.UserFactory(roles=[role])
    )
    client = Client()
    response = password_step(client, user.username)
    assert response.status_code == 302
    enrol_url = reverse("security_authenticator")
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(enrol_url), url
    assert client.get(enrol_url).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_reviewers_and_applicants_may_go_without(reviewer, applicant):
    for user in (reviewer, applicant):
        client = Client()
        password_step(client, user.username)
        assert client.get("/").status_code == 200


def test_a_finance_officer_enrols_with_a_real_code_and_gets_recovery_codes_once(finance):
    client = Client()
    password_step(client, finance.username)
    device, response = enrol(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Save your recovery codes" in page and "This is the only time they are shown" in page
    codes = response.context["codes"]
    assert len(codes) == 10 and all(code in page for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    # In straight away, and the codes are shown nowhere else.
    assert client.get("/finance/").status_code == 200
    assert codes[0] not in client.get(reverse("account_security")).content.decode()


def test_a_wrong_code_does_not_enrol(finance):
    client = Client()
    password_step(client, finance.username)
    client.get(reverse("security_authenticator"))
    response = client.post(reverse("security_authenticator"), {"code": "000000"})
    assert "did not match" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=finance, confirmed=True).exists()
    assert client.get("/finance/").status_code == 302


def test_signing_in_with_an_authenticator_takes_password_then_code(enrolled_finance):
    client = Client()
    response = client.post(reverse("login") + "?next=/finance/", {"username": "finance", "password": PASSWORD, "next": "/finance/"})
    assert response.status_code == 302
    # The password alone opens only the code step.
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("verify")), url
    device = TOTPDevice.objects.get(user=enrolled_finance)
    response = code_step(client, totp_code(device), next_url="/finance/")
    assert response.status_code == 302 and response.url == "/finance/"
    assert client.get("/finance/").status_code == 200


def test_a_wrong_code_is_refused(enrolled_finance):
    client = Client()
    password_step(client, "finance")
    response = code_step(client, "12345x")
    assert "did not work" in response.content.decode()
    assert client.get("/finance/").status_code == 302


def test_wrong_codes_in_a_row_pause_the_code_step(enrolled_finance):
    client = Client()
    password_step(client, "finance")
    code_step(client, "000000")
    device = TOTPDevice.objects.get(user=enrolled_finance)
    response = code_step(client, totp_code(device))  # even the right code, straight after
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/finance/").status_code == 302


def test_a_used_code_does_not_work_twice(enrolled_finance):
    device = TOTPDevice.objects.get(user=enrolled_finance)
    first = Client()
    password_step(first, "finance")
    code = totp_code(device)
    assert code_step(first, code).status_code == 302
    second = Client()
    password_step(second, "finance")
    assert "did not work" in code_step(second, code).content.decode()


def test_a_recovery_code_works_once(finance):
    client = Client()
    password_step(client, finance.username)
    _device, response = enrol(client)
    code = response.context["codes"][0]
    client.post(reverse("logout"))

    client = Client()
    password_step(client, finance.username)
    response = code_step(client, code.upper())
    assert response.status_code == 302
    assert client.get("/finance/").status_code == 200
    assert StaticDevice.objects.get(user=finance).token_set.count() == 9
    client.post(reverse("logout"))

    client = Client()
    password_step(client, finance.username)
    assert "did not work" in code_step(client, code).content.decode()
    assert client.get("/finance/").status_code == 302


def test_new_recovery_codes_replace_the_old(enrolled_finance):
    client = Client()
    password_step(client, "finance")
    code_step(client, totp_code(TOTPDevice.objects.get(user=enrolled_finance)))
    first = client.post(reverse("security_recovery_codes")).context["codes"]
    second = client.post(reverse("security_recovery_codes")).context["codes"]
    tokens = set(StaticDevice.objects.get(user=enrolled_finance).token_set.values_list("token", flat=True))
    assert tokens == set(second) and not tokens & set(first)


def test_an_unverified_session_cannot_replace_the_authenticator(enrolled_finance):
    client = Client()
    password_step(client, "finance")
    response = client.get(reverse("security_authenticator"))
    assert response.status_code == 302 and response.url.startswith(reverse("verify"))
    assert not TOTPDevice.objects.filter(user=enrolled_finance, confirmed=False).exists()


def test_anyone_can_turn_it_on_from_the_security_page(applicant):
    client = Client()
    password_step(client, applicant.username)
    page = client.get(reverse("account_security")).content.decode()
    assert "Two-step sign-in is off" in page and "Turn on two-step sign-in" in page
    _device, response = enrol(client)
    assert response.status_code == 200
    client.post(reverse("logout"))
    password_step(client, applicant.username)
    assert client.get("/").url.startswith(reverse("verify"))


def test_staff_cannot_turn_it_off(enrolled_finance):
    client = Client()
    password_step(client, "finance")
    code_step(client, totp_code(TOTPDevice.objects.get(user=enrolled_finance)))
    client.post(reverse("security_turn_off"))
    assert TOTPDevice.objects.filter(user=enrolled_finance, confirmed=True).exists()


def test_the_admin_sign_in_form_is_the_same_door():
    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == reverse("login") + "?next=/admin/"


# Sessions --------------------------------------------------------------------


def test_staff_sessions_end_after_a_working_day_others_keep_the_default(enrolled_finance, applicant):
    staff = Client()
    password_step(staff, "finance")
    code_step(staff, totp_code(TOTPDevice.objects.get(user=enrolled_finance)))
    age = staff.session.get_expiry_age()
    assert settings.STAFF_SESSION_SECONDS - 60 < age <= settings.STAFF_SESSION_SECONDS == 9 * 3600
    # Absolute: working through the day does not push the end further.
    staff.get("/finance/")
    assert staff.session.get_expiry_date() <= timezone.now() + datetime.timedelta(seconds=settings.STAFF_SESSION_SECONDS)

    other = Client()
    password_step(other, applicant.username)
    assert other.session.get_expiry_age() == settings.SESSION_COOKIE_AGE

    # A working day later the staff session is gone.
    Session.objects.filter(session_key=staff.session.session_key).update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = staff.get("/finance/")
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# Content-Security-Policy -----------------------------------------------------


def test_pages_carry_a_policy_without_inline_script(client, program_officer):
    client.force_login(program_officer)
    for url in ["/accounts/login/", "/", "/accounts/security/"]:
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["default-src"] == "'self'"
        assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"]
        assert "'unsafe-inline'" not in directives.get("style-src", "")


def test_no_template_holds_inline_script_or_handlers():
    import re

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if path.name == "donor_report.html":  # rendered to PDF, never served as a page
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=\"", text) or ' style="' in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], f"inline script, handler or style (blocked by the Content-Security-Policy): {offenders}"


# The demo key ----------------------------------------------------------------


def _manage(*args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_fails_on_the_demo_key():
    result = _manage("check", "--deploy", DEBUG="0")
    assert result.returncode != 0
    assert "fundops.E001" in result.stderr and "SECRET_KEY is the public demo key" in result.stderr


def test_check_deploy_passes_the_key_check_with_a_real_key():
    result = _manage("check", "--deploy", DEBUG="0", SECRET_KEY="a-real-key-" + "k" * 50, ALLOWED_HOSTS="grants.example.org")
    assert "fundops.E001" not in result.stderr + result.stdout


def test_the_wsgi_door_refuses_the_demo_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", "import fundops.wsgi"], cwd=ROOT, env={**env, "DEBUG": "0"}, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr


def test_load_demo_refuses_a_production_configuration(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("load_demo")


def test_demo_staff_sign_in_with_the_published_secret(capsys):
    from django.core.management import call_command

    from fundops.demo import DEMO_PASSWORD

    call_command("load_demo", stdout=open(os.devnull, "w"))
    call_command("demo_totp", "finance")
    code = capsys.readouterr().out.strip()
    client = Client()
    password_step(client, "finance", DEMO_PASSWORD)
    assert code_step(client, code).status_code == 302
    assert client.get("/finance/").status_code == 200
