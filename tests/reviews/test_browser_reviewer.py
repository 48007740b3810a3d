"""The reviewer's journey in Chromium: sign in, declare no conflict, score, submit, and see the
other reviewer's review appear."""
from decimal import Decimal

import pytest

from reviews import services
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_declares_scores_submits_and_sees_the_other_review(page, sign_in):
    officer = factories.UserFactory(roles=["program_officer"])
    fund = factories.FundFactory(name="Legal Empowerment Fund", reviews_required=2)
    rubric = factories.RubricFactory(fund=fund)
    rooted = factories.CriterionFactory(rubric=rubric, title="Community rootedness", max_score=5, weight=Decimal("2"), order=1)
    budget = factories.CriterionFactory(rubric=rubric, title="Budget and value", max_score=10, weight=Decimal("1"), order=2,
                                        guidance="Is the budget clear and proportionate?")
    application = factories.ApplicationFactory(
        fund=fund, state="in_review", title="Paralegals for land rights in Kajiado",
        summary="Twenty community paralegals will help Maasai families defend customary land.",
    )
    me = factories.UserFactory(roles=["reviewer"], first_name="Rosa", last_name="Quispe")
    colleague = factories.UserFactory(roles=["reviewer"], first_name="Tomas", last_name="Reyes")
    mine = services.assignment_create(application=application, reviewer=me, by=officer)
    theirs = services.assignment_create(application=application, reviewer=colleague, by=officer)
    services.conflict_declare(assignment=theirs, by=colleague, has_conflict=False)
    services.review_submit(
        assignment=theirs, by=colleague, recommendation="maybe", comment="Solid plan; the budget needs detail.",
        scores={rooted.pk: {"score": 4, "comment": "Known in Kajiado for years."}, budget.pk: {"score": 5, "comment": ""}},
    )

    sign_in(page, me)
    page.goto("/reviews/")
    row = page.locator("tr", has_text="Paralegals for land rights in Kajiado")
    assert "Awaiting your declaration" in row.inner_text()
    row.get_by_role("link", name="Declare conflicts").click()

    # The conflict prompt comes before any detail of the application.
    assert "Twenty community paralegals" not in page.content()
    page.get_by_label("No — I have no personal").check()
    page.get_by_role("button", name="Record my declaration").click()
    page.wait_for_url(f"**/reviews/assignments/{mine.pk}/")
    assert "Twenty community paralegals" in page.locator("main").inner_text()
    assert "Is the budget clear and proportionate?" in page.locator("#scoring").inner_text()
    # Other reviews stay hidden until I submit mine.
    assert "Known in Kajiado for years." not in page.content()

    # A score above the maximum is refused with a message beside the field, and my input stays.
    page.fill(f"#id_score_{rooted.pk}", "7")
    page.fill(f"#id_comment_{rooted.pk}", "Founded and led by local women.")
    page.fill(f"#id_score_{budget.pk}", "8")
    page.select_option("#id_recommendation", "fund")
    page.get_by_role("button", name="Submit review").click()
    assert "a score must be between 0 and 5; 7 is outside that range" in page.locator(f"#field-score_{rooted.pk}").inner_text()
    assert page.input_value(f"#id_comment_{rooted.pk}") == "Founded and led by local women."

    page.fill(f"#id_score_{rooted.pk}", "5")
    page.get_by_role("button", name="Submit review").click()
    page.wait_for_url(f"**/reviews/assignments/{mine.pk}/")
    page.locator("text=Your review is submitted").wait_for()
    # (2 × 5/5 + 1 × 8/10) / 3 × 100 = 93.33
    assert "93.33" in page.locator("main").inner_text()
    others = page.locator("#other-reviews")
    assert "Tomas Reyes" in others.inner_text()
    assert "Known in Kajiado for years." in others.inner_text()
    assert "Submit review" not in page.locator("main").inner_text()

    page.goto("/reviews/submitted/")
    assert "Paralegals for land rights in Kajiado" in page.locator("table").inner_text()
