"""In Chromium: a program officer gives a call its own rubric and edits it; once a reviewer has
scored, the page offers only a new version; the reviewer reads the answers to the call's
questions; the ranking pages and filters. SCREENSHOTS=<dir> keeps screenshots at 1280 and 390 px."""
import os
from decimal import Decimal
from pathlib import Path

import pytest

from fundops.models import Question, Questionnaire
from reviews import services
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shoot(page, name):
    folder = os.environ.get("SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _lef_call():
    fund = factories.FundFactory(name="Legal Empowerment Fund", reviews_required=1)
    rubric = factories.RubricFactory(fund=fund, instructions="Score from 0 to the maximum.")
    factories.CriterionFactory(rubric=rubric, title="Community rootedness", max_score=5, weight=Decimal("3"), order=1,
                               guidance="Led by, and accountable to, the community it serves?")
    factories.CriterionFactory(rubric=rubric, title="Legal empowerment approach", max_score=5, weight=Decimal("3"), order=2)
    form = Questionnaire.objects.create(fund=fund, purpose="application", title="Open call 2026")
    for order, (key, kind, label) in enumerate([
        ("strategy", "heading", "Your strategy"),
        ("community_led", "long_text", "How do the people you serve shape your work?"),
        ("paralegals", "number", "How many community paralegals work with you?"),
        ("registered", "yes_no", "Is your organisation registered?"),
    ]):
        Question.objects.create(questionnaire=form, key=key, order=order, kind=kind, label=label)
    call = factories.CallFactory(fund=fund, name="Open call 2026", application_form=form)
    return fund, call, form


def test_an_officer_gives_a_call_its_own_rubric_and_a_scored_one_only_versions(page, sign_in):
    officer = factories.UserFactory(roles=["program_officer"])
    fund, call, form = _lef_call()
    sign_in(page, officer)
    page.goto("/reviews/calls/")
    page.locator("tr", has_text="Open call 2026").get_by_role("button", name="Own rubric").click()
    assert "This call now has its own rubric" in page.locator("main").inner_text()
    page.fill("#id_add-title", "Learning and safety")
    page.fill("#id_add-guidance", "Will they keep clients, paralegals and data safe?")
    page.fill("#id_add-max_score", "5")
    page.fill("#id_add-weight", "1")
    page.get_by_role("button", name="Add the criterion").click()
    page.get_by_role("button", name="Move “Learning and safety” up").click()
    titles = page.locator(".rv-criteria strong").all_inner_texts()
    assert titles == ["Community rootedness", "Learning and safety", "Legal empowerment approach"]
    _shoot(page, "rubric-editor")

    # A reviewer scores an application of the call: the rubric is frozen.
    application = factories.ApplicationFactory(fund=fund, call=call, state="in_review", questionnaire=form,
                                               title="Paralegals for land rights",
                                               answers={"community_led": "Village assemblies choose our paralegals.",
                                                        "paralegals": "24", "registered": "yes"})
    reviewer = factories.UserFactory(roles=["reviewer"])
    assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
    services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=False)
    rubric = services.rubric_for(application=application)
    services.review_save_draft(assignment=assignment, by=reviewer,
                               scores={c.pk: {"score": 4} for c in rubric.criteria.all()})
    page.reload()
    frozen = page.locator("#frozen")
    assert "Scored already — changes make a new version" in frozen.inner_text()
    assert page.get_by_role("button", name="Add the criterion").count() == 0
    _shoot(page, "rubric-frozen")
    frozen.get_by_role("button", name="Make a new version to change it").click()
    assert "Version 2 is made" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Add the criterion").count() == 1


def test_the_reviewer_reads_the_answers_and_the_officer_ranks(page, sign_in):
    officer = factories.UserFactory(roles=["program_officer"])
    fund, call, form = _lef_call()
    reviewer = factories.UserFactory(roles=["reviewer"], first_name="Rosa", last_name="Quispe")
    for n in range(7):
        application = factories.ApplicationFactory(
            fund=fund, call=call, state="in_review", questionnaire=form, title=f"Community paralegals {n + 1}",
            summary="Paralegals help families defend their land.",
            answers={"community_led": "Village assemblies choose our paralegals and review our work each year.",
                     "paralegals": str(10 + n), "registered": "yes" if n % 2 else "no"},
        )
        assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
        services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=False)
        if n < 5:
            rubric = services.rubric_for(application=application)
            services.review_submit(assignment=assignment, by=reviewer, recommendation="fund" if n % 2 else "maybe",
                                   scores={c.pk: {"score": (n % 5) + 1} for c in rubric.criteria.all()})
        else:
            last = assignment
    sign_in(page, reviewer)
    page.goto(f"/reviews/assignments/{last.pk}/")
    answers = page.locator("#answers")
    assert "How do the people you serve shape your work?" in answers.inner_text()
    assert "Village assemblies choose our paralegals" in answers.inner_text()
    _shoot(page, "score-with-answers")
    page.goto("/reviews/")
    _shoot(page, "queue")

    page.context.clear_cookies()
    sign_in(page, officer)
    page.goto(f"/reviews/funds/{fund.slug}/ranking/?call={call.pk}")
    rows = page.locator("table.rv-ranking tbody tr")
    assert rows.count() == 7
    assert "Community paralegals 5" in rows.first.inner_text()  # the highest scores first
    _shoot(page, "ranking")
    page.fill("#id_q", "paralegals 2")
    page.get_by_role("button", name="Show").click()
    assert page.locator("table.rv-ranking tbody tr").count() == 1
