"""The call's own questions on the applicant's form, over HTTP: answers saved with the draft, files
kept, every problem at once, nothing typed lost, old answers readable after the form changes, the PDF,
and list pages whose query count does not grow with the number of questions."""
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services
from applications.models import Application, Attachment
from fundops.models import Questionnaire
from fundops.questionnaires import services as questionnaires
from fundsetup import services as setup
from tests import factories
from tests.applications.helpers import pdf, ready_draft
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, applicant):
    client.login(username=applicant.username, password=PASSWORD)
    return client


@pytest.fixture
def call(program_officer):
    call = factories.CallFactory(name="Open call 2027")
    form = setup.call_form_create(call=call, by=program_officer)
    for fields in (
        dict(key="led", kind="yes_no", label="Is the organisation community-led?", required=True),
        dict(key="who", kind="short_text", label="Who decides?", required=True, show_if_key="led", show_if_value="yes"),
        dict(key="spent", kind="money", label="Spending last year", max_value="100000"),
        dict(key="accounts", kind="file", label="Financial statement"),
    ):
        form, _ = questionnaires.question_add(questionnaire=form, by=program_officer, **fields)
    return call


@pytest.fixture
def draft(applicant, call):
    return ready_draft(applicant, fund=call.fund, call=call, title="Paralegals chosen by villages")


def post(**overrides):
    data = {
        "title": "Paralegals chosen by villages", "summary": "Twenty paralegals.", "themes": ["Access to justice"],
        "countries": ["KE"], "requested_amount": "15000", "requested_currency": "USD",
        "planned_start": "2027-01-01", "planned_end": "2027-12-31",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_the_edit_page_asks_the_calls_questions_and_saves_the_answers(signed_in, draft):
    url = reverse("applications:edit", args=[draft.pk])
    page = signed_in.get(url).content.decode()
    assert "Questions of Open call 2027" in page and "Is the organisation community-led?" in page
    assert "Only if “Is the organisation community-led?” is “Yes”." in page  # without JavaScript: the note
    response = signed_in.post(url, post(**{"q-led": "no", "q-who": "typed before choosing No", "q-spent": "٤٥٠٠٠"}))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.answers == {"led": "no", "spent": "45000"}  # the hidden question's answer is dropped
    assert draft.questionnaire_id == draft.call.application_form_id


def test_a_draft_may_leave_required_questions_for_later_but_submitting_lists_them(signed_in, draft):
    response = signed_in.post(reverse("applications:submit", args=[draft.pk]), post(**{"q-led": "yes"}))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Your draft is saved, but it cannot be submitted yet." in page
    assert '<a href="#field-q-who">Who decides?</a>: Please answer this question.' in page
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.answers == {"led": "yes"}
    response = signed_in.post(reverse("applications:submit", args=[draft.pk]),
                              post(**{"q-led": "yes", "q-who": "The village assembly"}))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == "submitted" and draft.questionnaire.is_frozen
    assert draft.answers == {"led": "yes", "who": "The village assembly"}


def test_every_problem_at_once_and_nothing_typed_is_lost(signed_in, draft):
    response = signed_in.post(reverse("applications:edit", args=[draft.pk]), post(**{
        "requested_amount": "1e6", "q-spent": "250000", "q-led": "maybe", "q-who": "Elders",
        "q-accounts": pdf("accounts.pdf"), "other": pdf("letters.pdf"),
    }))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please fix 3 problems" in page
    assert "without an exponent" in page and "Select a valid choice." in page
    assert "less than or equal to 100000" in page
    assert 'value="1e6"' in page and 'value="250000"' in page and 'value="Elders"' in page
    # The files passed their checks: kept with the draft, and the page says so.
    assert "These files passed their checks and are kept with your draft" in page
    draft.refresh_from_db()
    kept = {a.kind: a for a in draft.attachments.all()}
    assert {"answer", "other"} <= set(kept)
    assert draft.answers["accounts"] == {"attachment": kept["answer"].pk, "name": "accounts.pdf"}
    assert "Uploaded:" in page and "accounts.pdf" in page


def test_a_file_answer_is_checked_and_a_replacement_removes_the_old_file(signed_in, draft, settings):
    url = reverse("applications:edit", args=[draft.pk])
    renamed = SimpleUploadedFile("accounts.pdf", b"MZ\x90\x00 a program")
    response = signed_in.post(url, post(**{"q-accounts": renamed}))
    assert response.status_code == 400
    assert "does not contain what its name says" in response.content.decode()
    assert not draft.attachments.filter(kind="answer").exists()
    signed_in.post(url, post(**{"q-accounts": pdf("accounts-2025.pdf")}))
    first = draft.attachments.get(kind="answer")
    signed_in.post(url, post(**{"q-accounts": pdf("accounts-2026.pdf")}))
    second = draft.attachments.get(kind="answer")
    assert first.pk != second.pk and not Attachment.objects.filter(pk=first.pk).exists()
    draft.refresh_from_db()
    assert draft.answers["accounts"]["name"] == "accounts-2026.pdf"
    # Saving without choosing a file again keeps the one uploaded.
    signed_in.post(url, post(**{"q-led": "no"}))
    draft.refresh_from_db()
    assert draft.answers["accounts"]["attachment"] == second.pk


def test_a_form_changed_after_submissions_leaves_old_answers_as_they_were(
    signed_in, client, draft, applicant, program_officer, call
):
    signed_in.post(reverse("applications:submit", args=[draft.pk]),
                   post(**{"q-led": "yes", "q-who": "The village assembly", "q-spent": "45000"}))
    draft.refresh_from_db()
    old_form = draft.questionnaire
    assert draft.state == "submitted"

    # The officer rewrites the form: a new version for new applications.
    who = old_form.questions.get(key="who")
    new_form = questionnaires.question_update(question=who, by=program_officer, label="Which body decides?")
    questionnaires.question_remove(question=new_form.questions.get(key="spent"), by=program_officer)
    questionnaires.question_add(questionnaire=new_form, by=program_officer, kind="date", label="Founded on")
    assert new_form.pk != old_form.pk and Questionnaire.objects.get(pk=old_form.pk).questions.count() == 4

    mine = signed_in.get(reverse("applications:detail", args=[draft.pk])).content.decode()
    assert "Who decides?" in mine and "The village assembly" in mine and "USD 45,000.00" in mine
    assert "Which body decides?" not in mine and "Founded on" not in mine
    client.force_login(program_officer)
    staff = client.get(reverse("applications:review_detail", args=[draft.pk])).content.decode()
    assert "Who decides?" in staff and "USD 45,000.00" in staff

    call.refresh_from_db()
    newer = services.application_create_draft(organization=applicant.organization, fund=call.fund, call=call, by=applicant)
    assert newer.questionnaire_id == new_form.pk
    client.force_login(applicant)
    page = client.get(reverse("applications:edit", args=[newer.pk])).content.decode()
    assert "Which body decides?" in page and "Founded on" in page and "Spending last year" not in page


def test_the_funds_own_themes_are_offered_in_the_form(signed_in, draft, program_officer):
    setup.fund_update(fund=draft.fund, by=program_officer, themes="Building power and systems change\nImpact")
    url = reverse("applications:edit", args=[draft.pk])
    page = signed_in.get(url).content.decode()
    assert "Building power and systems change" in page and "Access to justice" not in page
    assert signed_in.post(url, post(themes=["Impact"])).status_code == 302
    draft.refresh_from_db()
    assert draft.themes == ["Impact"]
    response = signed_in.post(url, post(themes=["Access to justice"]))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()


def test_the_pdf_lists_the_core_fields_and_the_answers(signed_in, client, draft, program_officer, pdftotext, tmp_path):
    signed_in.post(reverse("applications:edit", args=[draft.pk]),
                   post(**{"q-led": "yes", "q-who": "The village assembly", "q-spent": "45000"}))
    response = signed_in.get(reverse("applications:pdf", args=[draft.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "application.pdf"
    path.write_bytes(response.content)
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for expected in ("Paralegals chosen by villages", "Access to justice", "Kenya", "USD 15,000.00",
                     "Questions of Open call 2027", "Is the organisation community-led?", "Yes",
                     "Who decides?", "The village assembly", "Spending last year", "USD 45,000.00"):
        assert expected in text, expected
    client.force_login(program_officer)
    assert client.get(reverse("applications:pdf", args=[draft.pk])).status_code == 200
    other = factories.UserFactory(roles=["applicant"])
    client.force_login(other)
    assert client.get(reverse("applications:pdf", args=[draft.pk])).status_code == 404


# Query counts do not grow with the number of questions -----------------------------------------


def _world_with_questions(count, program_officer, applicant):
    call = factories.CallFactory()
    form = setup.call_form_create(call=call, by=program_officer)
    for number in range(count):
        kind = ["short_text", "yes_no", "money", "long_text", "multiple_choice"][number % 5]
        extra = {"choices": "A\nB\nC"} if kind == "multiple_choice" else {}
        form, _ = questionnaires.question_add(questionnaire=form, by=program_officer, kind=kind,
                                              label=f"Question {number}", **extra)
    answers = {f"question_{n}": "yes" for n in range(count) if n % 5 == 1}
    for number in range(3):
        application = ready_draft(applicant, fund=call.fund, call=call, title=f"Application {number}", answers=answers)
        services.application_submit(application=application, by=applicant)
    return call


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url_name, role", [("applications:list", "applicant"), ("applications:screening", "officer")])
def test_list_pages_read_the_same_number_of_queries_with_2_or_30_questions(
    client, applicant, program_officer, url_name, role
):
    counts = []
    for count in (2, 30):
        Application.objects.all().delete()
        _world_with_questions(count, program_officer, applicant)
        client.force_login(applicant if role == "applicant" else program_officer)
        _queries(client, reverse(url_name))  # warm the session and caches
        counts.append(_queries(client, reverse(url_name)))
    assert counts[0] == counts[1]
