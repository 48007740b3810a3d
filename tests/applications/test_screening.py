"""The program officer's screening queue and staff page over HTTP."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services
from tests import factories
from tests.applications.helpers import ready_draft
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, program_officer):
    client.login(username=program_officer.username, password=PASSWORD)
    return client


def submitted_application(title, *, fund=None, hours_ago=1):
    applicant = factories.UserFactory(roles=["applicant"])
    application = ready_draft(applicant, title=title, **({"fund": fund} if fund else {}))
    services.application_submit(
        application=application, by=applicant, at=timezone.now() - datetime.timedelta(hours=hours_ago)
    )
    return application


def test_queue_lists_submitted_oldest_first(officer_client):
    submitted_application("Middle", hours_ago=10)
    submitted_application("Oldest", hours_ago=30)
    submitted_application("Newest", hours_ago=1)
    factories.ApplicationFactory(title="Still a draft")
    page = officer_client.get(reverse("applications:screening")).content.decode()
    assert page.index("Oldest") < page.index("Middle") < page.index("Newest")
    assert "Still a draft" not in page


def test_rapid_response_shows_time_left_and_overdue(officer_client):
    rapid = factories.FundFactory(rapid=True)
    submitted_application("Eviction hotline", fund=rapid, hours_ago=20)
    submitted_application("Food relief paralegals", fund=rapid, hours_ago=80)
    submitted_application("Pooled fund plan", hours_ago=5)
    page = officer_client.get(reverse("applications:screening")).content.decode()
    rows = {title: page.split(title)[1].split("</tr>")[0] for title in ("Eviction hotline", "Food relief paralegals", "Pooled fund plan")}
    assert "51 h left" in rows["Eviction hotline"] or "52 h left" in rows["Eviction hotline"]
    assert "clock--overdue" in rows["Food relief paralegals"] and "Overdue by 8 h" in rows["Food relief paralegals"]
    assert "left" not in rows["Pooled fund plan"] and "overdue" not in rows["Pooled fund plan"]
    assert 'class="overdue-row"' in page


def test_filter_by_fund(officer_client):
    fund = factories.FundFactory(name="COVID-19 Grassroots Justice Fund")
    submitted_application("In the chosen fund", fund=fund)
    submitted_application("In another fund")
    page = officer_client.get(reverse("applications:screening"), {"fund": fund.slug}).content.decode()
    assert "In the chosen fund" in page and "In another fund" not in page


@pytest.mark.parametrize("role", ["applicant", "reviewer", "donor", "finance_officer"])
def test_only_program_officers_reach_screening(client, role):
    user = factories.UserFactory(roles=[role])
    client.login(username=user.username, password=PASSWORD)
    application = factories.ApplicationFactory()
    assert client.get(reverse("applications:screening")).status_code == 403
    assert client.post(reverse("applications:review_detail", args=[application.pk]), {"action": "screen_in"}).status_code == 403


def test_screen_in_request_info_and_decline_from_the_staff_page(officer_client):
    application = submitted_application("Paralegal clinic")
    url = reverse("applications:review_detail", args=[application.pk])
    page = officer_client.get(url).content.decode()
    assert "Screen in for review" in page and "Reason for declining" in page
    response = officer_client.post(url, {"action": "screen_in"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.state == "in_review"
    response = officer_client.post(url, {"action": "request_info", "info-question": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    officer_client.post(url, {"action": "request_info", "info-question": "Please send last year's accounts."})
    application.refresh_from_db()
    assert application.state == "info_requested"
    assert "Please send last year&#x27;s accounts." in officer_client.get(url).content.decode()


def test_decline_requires_a_reason(officer_client):
    application = submitted_application("Paralegal clinic")
    url = reverse("applications:review_detail", args=[application.pk])
    response = officer_client.post(url, {"action": "decline", "decline-reason": "  "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    application.refresh_from_db()
    assert application.state == "submitted"
    officer_client.post(url, {"action": "decline", "decline-reason": "Outside the fund's focus."})
    application.refresh_from_db()
    assert application.state == "declined" and application.decline_reason == "Outside the fund's focus."


def test_wrong_state_action_says_why(officer_client):
    application = submitted_application("Paralegal clinic")
    services.application_decline(application=application, by=factories.UserFactory(roles=["program_officer"]), reason="No")
    response = officer_client.post(reverse("applications:review_detail", args=[application.pk]), {"action": "screen_in"}, follow=True)
    assert "“Declined”: it cannot be screened in now." in response.content.decode()


def test_staff_page_shows_officer_names_in_timeline(officer_client, program_officer):
    application = submitted_application("Paralegal clinic")
    services.application_screen_in(application=application, by=program_officer, note="fast-track")
    page = officer_client.get(reverse("applications:review_detail", args=[application.pk])).content.decode()
    assert str(program_officer) in page and "fast-track" in page
