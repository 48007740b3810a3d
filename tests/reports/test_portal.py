"""The donor portal: a donor's funds, asking for a report, the background task, the download."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from reports.models import ReportRequest
from tests import factories
from tests.factories import PASSWORD
from tests.reports.conftest import make_grant, pay

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def donor_client(client, donor_user, fund):
    factories.ContributionFactory(fund=fund, donor=donor_user.donor, amount=Decimal("200000"),
                                  received_on=datetime.date(2026, 1, 5))
    pay(make_grant(fund, countries=["KE"], amount="10000"), "6000.00", "1", datetime.date(2026, 3, 12))
    client.login(username=donor_user.username, password=PASSWORD)
    return client


def ask(client, fund, fmt="csv", start="2026-01-01", end="2026-06-30", **extra):
    return client.post(reverse("reports:fund", args=[fund.slug]),
                       {"period_start": start, "period_end": end, "format": fmt, **extra})


@pytest.mark.django_db
def test_donor_sees_only_the_funds_they_gave_to(donor_client, fund):
    other = factories.FundFactory(name="Someone Else's Fund")
    page = donor_client.get(reverse("reports:portal")).content.decode()
    assert fund.name in page and other.name not in page


@pytest.mark.django_db
def test_request_runs_in_the_background_and_downloads(donor_client, fund, donor_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(donor_client, fund)
    assert response.status_code == 302
    report_request = ReportRequest.objects.get()
    assert report_request.status == "done" and report_request.donor == donor_user.donor
    assert report_request.requested_by == donor_user and report_request.task_id

    page = donor_client.get(reverse("reports:fund", args=[fund.slug])).content.decode()
    assert "Ready" in page and reverse("reports:download", args=[report_request.pk]) in page
    download = donor_client.get(reverse("reports:download", args=[report_request.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"] and ".csv" in download["Content-Disposition"]
    lines = b"".join(download.streaming_content).decode().splitlines()
    assert lines[-1] == "TOTAL,,,1,1,10000.00,6000.00,USD"


@pytest.mark.django_db
def test_pending_request_shows_progress_and_refreshes(donor_client, fund):
    ask(donor_client, fund)  # no commit inside the test transaction: the task has not run yet
    report_request = ReportRequest.objects.get()
    assert report_request.status == "queued"
    page = donor_client.get(reverse("reports:fund", args=[fund.slug])).content.decode()
    assert "Queued" in page and "refreshes itself" in page and "js/report-refresh.js" in page
    response = donor_client.get(reverse("reports:download", args=[report_request.pk]))
    assert response.status_code == 302  # not ready: back to the fund page


@pytest.mark.django_db
def test_bad_period_is_explained_and_nothing_is_queued(donor_client, fund):
    response = ask(donor_client, fund, start="2026-06-30", end="2026-01-01")
    assert response.status_code == 200
    assert "on or after its start" in response.content.decode()
    assert not ReportRequest.objects.exists()


@pytest.mark.django_db
def test_donor_cannot_reach_another_funds_reports(donor_client, fund, django_capture_on_commit_callbacks):
    other = factories.FundFactory()
    someone = factories.ContributionFactory(fund=other).donor
    assert donor_client.get(reverse("reports:fund", args=[other.slug])).status_code == 404
    assert ask(donor_client, other).status_code == 404
    theirs = ReportRequest.objects.create(fund=other, donor=someone, period_start=datetime.date(2026, 1, 1),
                                          period_end=datetime.date(2026, 2, 1), format="csv", status="done")
    assert donor_client.get(reverse("reports:download", args=[theirs.pk])).status_code == 404
    # Nor another donor's request on a fund they share.
    shared = ReportRequest.objects.create(fund=fund, donor=someone, period_start=datetime.date(2026, 1, 1),
                                          period_end=datetime.date(2026, 2, 1), format="csv", status="done")
    assert donor_client.get(reverse("reports:download", args=[shared.pk])).status_code == 404
    assert donor_client.get(reverse("reports:fund_reports", args=[fund.slug])).status_code == 403


@pytest.mark.django_db
def test_staff_generate_any_funds_report(client, program_officer, fund, django_capture_on_commit_callbacks):
    donor = factories.ContributionFactory(fund=fund).donor
    pay(make_grant(fund, amount="3000"), "3000", "1", datetime.date(2026, 3, 12))
    client.login(username=program_officer.username, password=PASSWORD)
    url = reverse("reports:fund_reports", args=[fund.slug])
    assert donor.name in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"period_start": "2026-01-01", "period_end": "2026-06-30", "format": "pdf", "donor": donor.pk})
    report_request = ReportRequest.objects.get()
    assert report_request.status == "done" and report_request.donor == donor
    download = client.get(reverse("reports:download", args=[report_request.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_applicants_are_kept_out(client, applicant, fund):
    client.login(username=applicant.username, password=PASSWORD)
    assert client.get(reverse("reports:portal")).status_code == 403
    assert client.get(reverse("reports:fund", args=[fund.slug])).status_code == 404
    assert client.get(reverse("reports:fund_reports", args=[fund.slug])).status_code == 403


@pytest.mark.django_db
def test_a_failing_report_is_marked_failed_with_a_message(donor_client, fund, monkeypatch, django_capture_on_commit_callbacks):
    from reports import services

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "file_donor_report", broken)
    with django_capture_on_commit_callbacks(execute=True):
        ask(donor_client, fund)
    report_request = ReportRequest.objects.get()
    assert report_request.status == "failed" and "could not be generated" in report_request.error
    assert "could not be generated" in donor_client.get(reverse("reports:fund", args=[fund.slug])).content.decode()
