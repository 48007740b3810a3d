"""The grantee's grant page, the signed award letter, the officers' to-do lists and requirements page."""
import datetime

import pytest
from django.urls import reverse

from fundops.navigation import todos_for
from grantee_reports import services
from grantee_reports.models import GrantDocument, ReportKind, ReportRequirement
from tests.applications.helpers import pdf
from tests.disbursements.helpers import funded

from .helpers import TODAY, approved_grant, grantee_of, paid_payment, report_of, submitted, two_tranche_fund, two_tranches

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(officer, finance, finance2):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    paid_payment(grant, finance, finance2, reference="BANK-REF-0001")
    return grant


def test_the_grant_page_shows_award_letter_tranches_payments_and_reports(client, grant):
    grantee = grantee_of(grant)
    client.force_login(grantee)
    page = client.get(reverse("grantee_reports:grant", args=[grant.pk])).content.decode()
    assert "USD 10,000.00" in page
    assert reverse("disbursements:award_letter", args=[grant.application_id]) in page
    assert "On hold" in page and "Progress and financial report" in page  # tranche 2 waits for the report
    assert "BANK-REF-0001" in page and "USD 6,000.00" in page
    assert "Write report" in page and "Final report" in page
    letter = client.get(reverse("disbursements:award_letter", args=[grant.application_id]))
    assert letter.status_code == 200 and letter["Content-Type"] == "application/pdf"


def test_the_grantee_sends_the_signed_letter_and_staff_can_download_it(client, grant, officer):
    grantee = grantee_of(grant)
    client.force_login(grantee)
    response = client.post(reverse("grantee_reports:signed_letter", args=[grant.pk]), {"file": pdf("signed.pdf")})
    assert response.status_code == 302
    document = GrantDocument.objects.get(grant=grant)
    assert document.original_name == "signed.pdf"
    client.force_login(officer)
    download = client.get(reverse("grantee_reports:document", args=[document.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_renamed_file_is_refused_as_the_signed_letter(client, grant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(grantee_of(grant))
    fake = SimpleUploadedFile("signed.pdf", b"MZ\x90\x00 not a pdf")
    response = client.post(reverse("grantee_reports:signed_letter", args=[grant.pk]), {"file": fake}, follow=True)
    assert "does not contain what its name says" in response.content.decode()
    assert not GrantDocument.objects.exists()


def test_officers_see_overdue_and_submitted_reports_in_their_to_do_list(grant, officer):
    grantee = grantee_of(grant)
    report = report_of(grant, ReportKind.FINANCIAL)
    services.report_due_date_change(report=report, by=officer, due_on=TODAY() - datetime.timedelta(days=3))
    todos = {todo.label: todo for section in todos_for(officer) for todo in section["todos"]}
    assert todos["Grantee reports overdue"].count == 1 and todos["Grantee reports overdue"].urgent
    submitted(report, grantee)
    todos = {todo.label: todo for section in todos_for(officer) for todo in section["todos"]}
    assert todos["Grantee reports overdue"].count == 0
    assert todos["Grantee reports to review"].count == 1
    mine = {todo.label: todo for section in todos_for(grantee) for todo in section["todos"]}
    assert mine["Grantee reports to write"].count == 0  # the final report is due in more than a month


def test_the_officer_sets_requirements_and_opens_the_report_form(client, officer):
    fund = funded()
    client.force_login(officer)
    url = reverse("grantee_reports:requirements", args=[fund.slug])
    response = client.post(url, {"new-title": "", "new-kind": "progress", "new-due_rule": "fixed_date", "new-days": "30"})
    assert response.status_code == 400
    assert "Give the date the report is due." in response.content.decode()
    response = client.post(url, {"new-title": "Mid-term report", "new-kind": "progress", "new-due_rule": "fixed_date",
                                 "new-fixed_date": "2027-03-31", "new-days": "0", "new-gates_next_tranche": "on"})
    assert response.status_code == 302
    requirement = ReportRequirement.objects.get(fund=fund)
    assert (requirement.title, requirement.fixed_date, requirement.gates_next_tranche) == (
        "Mid-term report", datetime.date(2027, 3, 31), True)
    response = client.post(reverse("grantee_reports:requirement_form", args=[requirement.pk]))
    requirement.refresh_from_db()
    assert requirement.questionnaire.purpose == "report"
    assert response["Location"] == reverse("fundsetup:questionnaire_edit", kwargs={"pk": requirement.questionnaire_id})
    # Asking again opens the same form.
    client.post(reverse("grantee_reports:requirement_form", args=[requirement.pk]))
    assert fund.questionnaires.count() == 1


def test_a_report_with_the_funds_questions_needs_its_required_answers(client, officer):
    from fundops.questionnaires.services import question_add

    fund = funded(rapid=True)
    requirement = services.requirements_for(fund)[0]
    questionnaire = services.requirement_questionnaire(requirement=requirement, by=officer)
    question_add(questionnaire=questionnaire, by=officer, key="people", kind="number", label="People helped",
                 required=True)
    grant = approved_grant(fund, officer, amount="5000")
    report = grant.reports.get()
    grantee = grantee_of(grant)
    client.force_login(grantee)
    data = {"narrative": "Done.", "learning_language": "en", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-0-label": "Rent", "lines-0-amount": "100", "q-people": ""}
    response = client.post(reverse("grantee_reports:report", args=[report.pk]), {**data, "save": "1"})
    assert response.status_code == 302  # a draft may leave it empty
    response = client.post(reverse("grantee_reports:report", args=[report.pk]), {**data, "submit": "1"})
    assert response.status_code == 400 and "Please answer this question." in response.content.decode()
    response = client.post(reverse("grantee_reports:report", args=[report.pk]), {**data, "q-people": "42", "submit": "1"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == "submitted" and report.answers == {"people": "42"}
    assert report.questionnaire.is_frozen


def test_what_is_still_to_come_keeps_the_cents(client, officer, finance, finance2):
    from decimal import Decimal

    grant = approved_grant(funded(rapid=True), officer, amount="7000.75")
    paid_payment(grant, finance, finance2, amount=Decimal("2000.50"))
    client.force_login(grantee_of(grant))
    response = client.get(reverse("grantee_reports:grant", args=[grant.pk]))
    assert response.context["to_come"] == Decimal("5000.25")
    assert "USD 5,000.25" in response.content.decode()
