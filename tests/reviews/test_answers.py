"""Reviewers and the ranking export read the answers to the call's own questions through
fundops.questionnaires.answers, with the blind-review and spreadsheet-safety rules applied."""
import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from fundops.models import Question, Questionnaire
from reviews import services
from tests import factories
from tests.reviews.helpers import full_scores

pytestmark = pytest.mark.django_db

ANSWERS = {
    "strategy": "=HYPERLINK(\"http://evil\")",
    "members": "120",
    "registered": "yes",
    "budget": {"attachment": 999, "name": "Kituo-cha-Haki-budget.xlsx"},
}


def _call_form(fund):
    form = Questionnaire.objects.create(fund=fund, purpose="application", title="LEF open call")
    for order, (key, kind, label) in enumerate([
        ("about", "heading", "About your strategy"),
        ("strategy", "long_text", "How is your strategy led by the community?"),
        ("members", "number", "How many community paralegals?"),
        ("registered", "yes_no", "Are you registered?"),
        ("budget", "file", "Your budget"),
    ]):
        Question.objects.create(questionnaire=form, key=key, order=order, kind=kind, label=label)
    return factories.CallFactory(fund=fund, application_form=form), form


@pytest.mark.parametrize("blind", [False, True])
def test_the_reviewer_reads_the_answers_and_a_blind_fund_withholds_files(client, fund, make_reviewer, declared, blind):
    fund.blind_review = blind
    fund.save()
    call, form = _call_form(fund)
    organization = factories.OrganizationFactory(name="Kituo cha Haki Named")
    application = factories.ApplicationFactory(fund=fund, call=call, state="in_review", questionnaire=form,
                                               answers=ANSWERS, organization=organization)
    reviewer = make_reviewer()
    assignment = declared(application, reviewer)
    client.force_login(reviewer)
    page = client.get(reverse("reviews:score", args=[assignment.pk])).content.decode()
    assert "Answers to the call's questions" in page
    assert "About your strategy" in page and "How many community paralegals?" in page and "120" in page
    assert "=HYPERLINK" in page.replace("&quot;", '"')  # shown as text on a web page, escaped
    if blind:
        assert "Kituo cha Haki Named" not in page and "Kituo-cha-Haki-budget.xlsx" not in page
        assert "Withheld: this fund reviews blind." in page
    else:
        assert "Kituo cha Haki Named" in page
        assert f'href="{reverse("applications:attachment", args=[999])}"' in page


def test_the_ranking_export_has_the_answers_and_no_cell_a_spreadsheet_would_run(client, fund, officer, make_reviewer, declared):
    call, form = _call_form(fund)
    application = factories.ApplicationFactory(fund=fund, call=call, state="in_review", questionnaire=form,
                                               answers=ANSWERS, title="Answered proposal")
    reviewer = make_reviewer()
    services.review_submit(assignment=declared(application, reviewer), by=reviewer, scores=full_scores(fund),
                           recommendation="fund")
    client.force_login(officer)
    url = reverse("reviews:ranking_export", args=[fund.slug]) + f"?call={call.pk}"
    rows = list(csv.reader(io.StringIO(client.get(url + "&format=csv").getvalue().decode())))
    header, row = rows[0], dict(zip(rows[0], rows[1]))
    assert "Answer: About your strategy" not in header  # headings are not answers
    assert row["Answer: How is your strategy led by the community?"] == "'=HYPERLINK(\"http://evil\")"
    assert row["Answer: How many community paralegals?"] == "120"
    assert row["Answer: Are you registered?"] == "Yes"
    assert row["Answer: Your budget"] == "(file attached)"  # a file's name can name the organisation
    assert row["Weighted score (0-100)"] == "100.00"

    sheet = openpyxl.load_workbook(io.BytesIO(client.get(url + "&format=xlsx").getvalue())).active
    cells = [cell for line in sheet.iter_rows() for cell in line]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert "'=HYPERLINK(\"http://evil\")" in [cell.value for cell in cells]
