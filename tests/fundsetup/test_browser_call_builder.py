"""In Chromium: a program officer builds a call with four questions, an applicant answers and submits
(one problem shown beside its question, then fixed), and a reviewer sees the answers."""
import datetime
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import services as application_services
from applications.models import Application
from fundops.models import Call, Question
from tests import factories
from tests.applications.helpers import PDF_BYTES

# Set FUNDOPS_SCREENSHOTS=/some/dir to keep screenshots of each step at 1280 and 390 px wide.
SHOTS = os.environ.get("FUNDOPS_SCREENSHOTS")


def shoot(page, name):
    if not SHOTS:
        return
    Path(SHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=f"{SHOTS}/{name}-390.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def add_question(page, kind, label, **settings):
    page.select_option("#id_new-kind", kind)
    page.fill("#id_new-label", label)
    if settings.get("required"):
        page.check("#id_new-required")
    for name in ("help_text", "choices", "word_limit", "max_value", "show_if_value"):
        if name in settings:
            page.fill(f"#id_new-{name}", str(settings[name]))
    if "show_if_key" in settings:
        page.select_option("#id_new-show_if_key", settings["show_if_key"])
    page.click("button:has-text('Add the question')")
    page.wait_for_selector(f".question-list li:has-text('{label}')")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_officer_builds_a_call_applicant_answers_and_reviewer_reads(page, sign_in, tmp_path):
    officer = factories.UserFactory(roles=["program_officer"], username="builder")
    applicant = factories.UserFactory(roles=["applicant"], first_name="Amina")
    reviewer = factories.UserFactory(roles=["reviewer"], username="rosa")
    fund = factories.FundFactory(name="Legal Empowerment Fund", slug="lef", reviews_required=1,
                                 themes=["Building power", "Recognition and financing"])
    factories.ContributionFactory(fund=fund)
    if hasattr(factories, "RubricFactory"):
        factories.CriterionFactory(rubric=factories.RubricFactory(fund=fund), title="Community rootedness")

    # The officer: a new call, its own form, four questions (one shown only after a "Yes").
    sign_in(page, officer)
    page.goto("/setup/")
    shoot(page, "01-setup-funds")
    page.click("text=Legal Empowerment Fund")
    page.wait_for_selector("h1:has-text('Legal Empowerment Fund')")
    shoot(page, "02-fund-settings")
    page.click("text=New call")
    opens = timezone.localtime() - datetime.timedelta(hours=1)
    page.fill("#id_name", "Open call 2027")
    page.fill("#id_opens_at", opens.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_closes_at", (opens + datetime.timedelta(days=60)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_guidance", "Tell us how your community leads the work.")
    page.click("button:has-text('Create the call')")
    page.wait_for_selector("text=Call created")
    shoot(page, "02b-call-page")
    page.click("button:has-text('Give this call its own questions')")
    page.wait_for_selector("h2:has-text('Add a question')")

    add_question(page, "yes_no", "Is the organisation led by the community it serves?", required=True)
    assert page.is_hidden("#id_new-word_limit")  # settings a kind does not use are hidden
    add_question(page, "long_text", "Describe your community-led strategy", required=True, word_limit=40)
    add_question(page, "money", "Annual budget last year", max_value="100000")
    led = Question.objects.get(label__startswith="Is the organisation led").key
    assert led == "is_the_organisation_led_by_the_community"  # made from the label, at most 40 characters
    add_question(page, "short_text", "Who decides on the work?", required=True, show_if_key=led, show_if_value="Yes")
    assert "Only if “Is the organisation led by the community it serves?” = " not in page.content()
    preview = page.locator(".preview")
    assert preview.locator("#field-preview-who_decides_on_the_work").is_hidden()
    preview.locator(f"#id_preview-{led}_0").check()
    assert preview.locator("#field-preview-who_decides_on_the_work").is_visible()
    shoot(page, "03-form-editor")
    call = Call.objects.get(name="Open call 2027")
    assert list(call.application_form.questions.values_list("kind", flat=True)) == [
        "yes_no", "long_text", "money", "short_text",
    ]
    page.context.clear_cookies()

    # The applicant: core fields and the call's questions; the follow-up is missed, shown, then answered.
    budget = tmp_path / "budget.pdf"
    budget.write_bytes(PDF_BYTES)
    sign_in(page, applicant)
    page.goto("/applications/new/")
    page.check("text=Legal Empowerment Fund — Open call 2027")
    page.click("button:has-text('Start the draft')")
    page.wait_for_selector("h1:has-text('New application')")
    start = timezone.localdate() + datetime.timedelta(days=30)
    page.fill("#id_title", "Paralegals chosen by their villages")
    page.fill("#id_summary", "Twenty paralegals, chosen by village assemblies, help families keep their land.")
    page.check("text=Building power")
    page.select_option("#id_countries", ["KE"])
    page.fill("#id_requested_amount", "15000")
    page.fill("#id_planned_start", start.isoformat())
    page.fill("#id_planned_end", (start + datetime.timedelta(days=365)).isoformat())
    page.set_input_files("#id_budget", str(budget))
    page.set_input_files("#id_registration", str(budget))
    follow_up = "#field-q-who_decides_on_the_work"
    assert page.is_hidden(follow_up)
    page.check(f"#id_q-{led}_0")
    assert page.is_visible(follow_up)
    page.fill("#id_q-describe_your_community_led_strategy", "Village assemblies choose and oversee the paralegals.")
    page.fill("#id_q-annual_budget_last_year", "85000")
    shoot(page, "04-applicant-form")
    page.click("button:has-text('Submit application')")
    page.wait_for_selector(".error-summary")
    summary = page.locator(".error-summary").inner_text()
    assert "Who decides on the work?" in summary and "Please answer this question." in summary
    assert "Please answer this question." in page.locator(f"{follow_up} .errorlist").inner_text()
    # Nothing typed is lost.
    assert page.input_value("#id_q-annual_budget_last_year") == "85000"
    assert page.input_value("#id_title") == "Paralegals chosen by their villages"
    shoot(page, "05-applicant-error")
    page.fill("#id_q-who_decides_on_the_work", "The village assembly, every quarter.")
    page.click("button:has-text('Submit application')")
    page.wait_for_selector("text=Application submitted")
    assert "The village assembly, every quarter." in page.locator("dl.answers").inner_text()
    shoot(page, "06-applicant-submitted")
    application = Application.objects.get(title="Paralegals chosen by their villages")
    assert application.questionnaire.is_frozen
    page.context.clear_cookies()

    # The reviewer reads the answers on the scoring page.
    application_services.application_screen_in(application=application, by=officer)
    from reviews import services as review_services

    assignment = review_services.assignment_create(application=application, reviewer=reviewer, by=officer)
    review_services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=False)
    sign_in(page, reviewer)
    page.goto(reverse("reviews:score", args=[assignment.pk]))
    body = page.locator("main").inner_text()
    shoot(page, "07-reviewer")
    assert "Describe your community-led strategy" in body
    assert "Village assemblies choose and oversee the paralegals." in body
    assert "The village assembly, every quarter." in body
    assert Question.objects.filter(questionnaire=application.questionnaire).count() == 4
