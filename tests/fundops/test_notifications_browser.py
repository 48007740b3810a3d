"""The inbox and the e-mail choices page in Chromium, on a laptop and on a phone."""
import os

import pytest

from fundops.models import Notification
from fundops.notifications import kinds, notify
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_inbox_and_preferences_in_the_browser(page, sign_in, width, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page.set_viewport_size({"width": width, "height": 900})
    applicant = factories.UserFactory(roles=["applicant"])
    application = factories.ApplicationFactory(organization=applicant.organization)
    notify(recipient=applicant, kind=kinds.APPLICATION_SUBMITTED, event_key="a:submitted",
           url=f"/applications/{application.pk}/",
           context={"application": application.title, "fund": str(application.fund), "deadline": "2026-05-02 14:00"})
    notify(recipient=applicant, kind=kinds.INFO_REQUESTED, event_key="a:info", url=f"/applications/{application.pk}/",
           context={"application": application.title, "fund": str(application.fund),
                    "question": "Which districts will the paralegals work in?"})
    sign_in(page, applicant)

    page.click("a.inbox-link")
    assert page.inner_text("a.inbox-link") == "Inbox (2)"
    assert page.locator(".inbox-item.unread").count() == 2
    assert "We need more information" in page.locator(".inbox-item").first.inner_text()
    _shot(page, f"inbox-{width}")
    no_horizontal_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_horizontal_scroll

    page.locator(".inbox-item a").first.click()
    page.wait_for_url(f"**/applications/{application.pk}/")
    assert page.inner_text("a.inbox-link") == "Inbox (1)"
    assert Notification.objects.filter(read_at__isnull=True).count() == 1

    page.goto("/inbox/preferences/")
    assert "Always e-mailed right away" in page.content()
    page.check(f"input[name={kinds.PAYMENT_SENT}][value=digest]")
    page.click("button[type=submit].primary")
    page.wait_for_selector(".message")
    assert page.is_checked(f"input[name={kinds.PAYMENT_SENT}][value=digest]")
    _shot(page, f"preferences-{width}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
