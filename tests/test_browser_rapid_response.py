"""The rapid-response fast track in Chromium, from submission to recorded payout: each person
follows the link in the e-mail they received, signs in (the code step keeps the link), and does
their part. Clicks and form fills are counted per role; sign-ins are not. Target: at most 25."""
import datetime
import re
from collections import Counter
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from applications.models import Application
from disbursements.models import Payment
from reviews import services as review_services
from reviews.models import ReviewerPoolMember
from tests import factories
from tests.applications.helpers import PDF_BYTES
from tests.conftest import confirmed_authenticator, totp_code

MAX_ACTIONS = 25


class Actions:
    """page.click / fill / check / select_option / set_input_files, counted for the person acting."""

    def __init__(self, page):
        self.page = page
        self.counts = Counter()
        self.role = None

    def _count(self, method, *args, **kwargs):
        self.counts[self.role] += 1
        return getattr(self.page, method)(*args, **kwargs)

    def click(self, *args, **kwargs):
        return self._count("click", *args, **kwargs)

    def fill(self, *args, **kwargs):
        return self._count("fill", *args, **kwargs)

    def check(self, *args, **kwargs):
        return self._count("check", *args, **kwargs)

    def select_option(self, *args, **kwargs):
        return self._count("select_option", *args, **kwargs)

    def set_input_files(self, *args, **kwargs):
        return self._count("set_input_files", *args, **kwargs)


def newest_link_to(user, live_url):
    """The link in the newest e-mail to `user`: a path on this site."""
    received = [message for message in mail.outbox if user.email in message.to]
    assert received, f"no e-mail to {user} (outbox: {[(m.to, m.subject) for m in mail.outbox]})"
    message = received[-1]
    links = re.findall(r"https?://[^\s<>\"]+", message.body)
    ours = [link for link in links if link.startswith(live_url)]
    assert ours, f"no link to the site in “{message.subject}”:\n{message.body}"
    parts = urlsplit(ours[0])
    return parts.path + (f"?{parts.query}" if parts.query else ""), message.subject


def follow_email_and_sign_in(page, user, live_url):
    """Open the e-mailed link signed out, sign in (password, then the code for staff) and land on it."""
    page.context.clear_cookies()
    device = confirmed_authenticator(user)
    path, subject = newest_link_to(user, live_url)
    page.goto(path)
    assert "/accounts/login/" in page.url, page.url
    page.fill("#id_username", user.username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if device is not None:
        assert "/accounts/verify/" in page.url, page.url
        page.fill("#id_code", totp_code(device))
        page.click("main button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/verify/" not in url)
    # The link itself, or the page it sends this person on to (a reviewer declares before scoring).
    assert urlsplit(page.url).path.startswith(urlsplit(path).path), f"“{subject}” led to {path}, landed on {page.url}"
    return path


@pytest.fixture
def rapid_world(db, settings, live_server, mailoutbox):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.FUNDOPS_SITE_URL = live_server.url
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    fund = factories.FundFactory(rapid=True, name="COVID-19 Grassroots Justice Fund", max_grant=Decimal("8000"))
    factories.ContributionFactory(fund=fund, amount=Decimal("100000"))
    officer = factories.UserFactory(roles=["program_officer"], first_name="Priya", username="priya")
    reviewer = factories.UserFactory(roles=["reviewer"], first_name="Kofi", username="kofi")
    finance = factories.UserFactory(roles=["finance_officer"], first_name="Lucia", username="lucia")
    applicant = factories.UserFactory(roles=["applicant"], first_name="Amina", username="amina")
    review_services.rubric_set(fund=fund, by=officer, mode="panel_vote")
    ReviewerPoolMember.objects.create(fund=fund, reviewer=reviewer)
    factories.PayoutAccountFactory(organization=applicant.organization)  # where the grant is paid, verified
    return {"fund": fund, "officer": officer, "reviewer": reviewer, "finance": finance, "applicant": applicant}


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_rapid_response_grant_from_submission_to_recorded_payout(page, sign_in, live_server, rapid_world, tmp_path):
    world = rapid_world
    act = Actions(page)
    url = live_server.url
    budget = tmp_path / "budget.pdf"
    budget.write_bytes(PDF_BYTES)
    certificate = tmp_path / "registration.pdf"
    certificate.write_bytes(PDF_BYTES)

    # Applicant: signs in to the to-do list, drafts and submits.
    act.role = "applicant"
    sign_in(page, world["applicant"])
    assert urlsplit(page.url).path == "/"
    act.click("a.tile:has-text('My applications')")
    act.click("text=Start a new application")
    act.check("text=COVID-19 Grassroots Justice Fund")
    act.click("button:has-text('Start the draft')")
    start = timezone.localdate() + datetime.timedelta(days=7)
    act.fill("#id_title", "Eviction hotline for informal settlements")
    act.fill("#id_summary", "Paralegals answer an eviction hotline and go to court with families.")
    act.check("text=Housing and evictions")
    act.select_option("#id_countries", ["KE"])
    act.fill("#id_requested_amount", "8000")
    act.fill("#id_planned_start", start.isoformat())
    act.fill("#id_planned_end", (start + datetime.timedelta(days=180)).isoformat())
    act.set_input_files("#id_budget", str(budget))
    act.set_input_files("#id_registration", str(certificate))
    act.click("button:has-text('Submit application')")
    page.wait_for_selector(".message.success, .error-summary")
    assert not page.locator(".error-summary").count(), page.locator(".error-summary").inner_text()
    application = Application.objects.get(title="Eviction hotline for informal settlements")
    assert application.decision_deadline is not None
    newest_link_to(world["applicant"], url)  # the receipt reached them

    # Program officer: the new rapid submission's e-mail leads to screening; screening in assigns the panel.
    act.role = "program officer"
    follow_email_and_sign_in(page, world["officer"], url)
    page.wait_for_selector(".clock")
    act.click("button:has-text('Screen in for review')")
    page.wait_for_selector("text=Screened in")

    # Reviewer: the assignment e-mail leads to the declaration, then the vote.
    act.role = "reviewer"
    follow_email_and_sign_in(page, world["reviewer"], url)
    act.check("input[name=has_conflict][value=no]")
    act.click("button:has-text('Record my declaration')")
    act.check("input[name=vote][value=fund]")
    act.click("button:has-text('Cast my vote')")
    page.wait_for_selector("text=Your vote is recorded")

    # Program officer: "ready for decision" leads to the application; approve with the payment scheduled.
    act.role = "program officer"
    follow_email_and_sign_in(page, world["officer"], url)
    if "/approve/" not in page.url:
        act.click("a:has-text('Approve…')")
    assert page.is_checked("input[name=schedule_now]")
    act.click("button:has-text('Approve and create the award')")
    page.wait_for_selector("text=its payment is scheduled")
    payment = Payment.objects.get(grant__application=application)
    assert payment.state == "scheduled" and payment.scheduled_by == world["officer"]

    # Finance officer: the payment waiting for approval (four eyes: not the scheduler); then the payout.
    act.role = "finance officer"
    follow_email_and_sign_in(page, world["finance"], url)
    act.click(f"#payment-{payment.pk} button:has-text('Approve')")
    page.wait_for_selector("text=Approved the payment")
    act.click(f"#payment-{payment.pk} a:has-text('Record payout')")
    assert page.input_value("#id_paid_on") == timezone.localdate().isoformat()
    assert Decimal(page.input_value("#id_fx_rate")) == Decimal("1")
    act.fill("#id_reference", "KCB-2026-000731")
    act.click("main button:has-text('Record payout')")
    page.wait_for_selector("text=Recorded the payout")

    payment.refresh_from_db()
    application.refresh_from_db()
    assert payment.state == "paid" and payment.reference == "KCB-2026-000731"
    assert application.state == "disbursed"
    # The applicant is told the money is on its way, with a link to their application.
    path, subject = newest_link_to(world["applicant"], url)
    assert path == f"/applications/{application.pk}/", subject

    total = sum(act.counts.values())
    print("\nRapid-response journey, clicks and form fills per role (sign-ins excluded):")
    for role, count in act.counts.items():
        print(f"  {role}: {count}")
    print(f"  total: {total} (target ≤ {MAX_ACTIONS}; 42 before issue 10)")
    assert total <= MAX_ACTIONS
