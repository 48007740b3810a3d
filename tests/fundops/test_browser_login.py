"""Signing in with the second factor in a real browser: the code step, and a first-time enrolment
by an officer who scans (here: reads) the key the page shows."""
import base64
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests import factories
from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_finance_officer_signs_in_with_password_then_code(page, settings):
    # A wrong code pauses the code step for a second (django-otp's throttle); a person takes longer
    # than that to retype, the browser does not.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    kwame = factories.UserFactory(username="kwame", first_name="Kwame", roles=["finance_officer"])
    device = TOTPDevice.objects.create(user=kwame, name="Phone", confirmed=True)

    page.goto("/finance/")
    page.fill("#id_username", "kwame")
    page.fill("#id_password", factories.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/verify/"))
    assert page.get_by_role("heading", name="Enter your code").is_visible()

    wrong = "000000" if totp_code(device) != "000000" else "111111"
    page.fill("#id_code", wrong)
    page.click("main button[type=submit]")
    # The refused code comes back on a new page: wait for it rather than read the old one.
    expect(page.get_by_text("That code did not work")).to_be_visible()

    page.fill("#id_code", totp_code(device))
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/finance/$"))
    assert page.get_by_role("link", name="Security").is_visible()


def test_an_officer_without_a_second_factor_enrols_on_first_sign_in(page):
    factories.UserFactory(username="priya", first_name="Priya", roles=["program_officer"])

    page.goto("/accounts/login/")
    page.fill("#id_username", "priya")
    page.fill("#id_password", factories.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/security/authenticator/"))
    assert page.get_by_role("heading", name="Set up two-step sign-in").is_visible()
    assert page.locator(".qr svg").is_visible()

    # Nowhere else to go until it is done.
    page.goto("/applications/screening/")
    page.wait_for_url(re.compile(r"/accounts/security/authenticator/"))

    # What the phone does: read the key (the QR code carries the same), compute the code.
    page.get_by_text("Cannot scan it? Type a key instead").click()
    shown = page.locator("#totp-secret").inner_text()
    secret = base64.b32decode(shown.replace(" ", ""))
    page.fill("#id_code", f"{totp(secret):06d}")
    page.click("main button[type=submit]")

    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    assert page.locator(".recovery-codes li").count() == 10
    page.get_by_role("link", name="I have saved them — continue").click()
    page.wait_for_url(re.compile(r"/applications/screening/$"))
