"""The reviewer workspace and the program officer's pages, through HTTP: who sees what."""
import io
from decimal import Decimal

import pandas as pd
import pytest
from django.urls import reverse

from reviews import services
from reviews.models import Assignment, Review
from tests import factories
from tests.reviews.helpers import full_scores

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_a_reviewer_must_declare_before_seeing_details(client, officer, in_review, make_reviewer):
    reviewer = make_reviewer()
    application = in_review(summary="Paralegals will document evictions in Kibera.")
    assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
    login(client, reviewer)
    queue = client.get(reverse("reviews:queue"))
    assert "Declare conflicts" in queue.content.decode() and "Awaiting your declaration" in queue.content.decode()
    assert "document evictions" not in queue.content.decode()
    # The scoring page sends them to the declaration first.
    response = client.get(reverse("reviews:score", args=[assignment.pk]))
    assert response.status_code == 302 and response.url == reverse("reviews:declare", args=[assignment.pk])
    declare_page = client.get(reverse("reviews:declare", args=[assignment.pk])).content.decode()
    assert application.organization.name in declare_page and "document evictions" not in declare_page

    response = client.post(reverse("reviews:declare", args=[assignment.pk]), {"has_conflict": "no"})
    assert response.status_code == 302
    page = client.get(reverse("reviews:score", args=[assignment.pk])).content.decode()
    assert "document evictions" in page
    assert "Community rootedness" in page and "Is the organisation led by" in page  # guidance shown
    assert "Submit review" in page


def test_a_conflicted_reviewer_gets_404_on_details_and_scoring_and_is_replaced(client, officer, in_review, make_reviewer):
    reviewer, replacement = make_reviewer(), make_reviewer()
    application = in_review()
    assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
    login(client, reviewer)
    response = client.post(reverse("reviews:declare", args=[assignment.pk]), {"has_conflict": "yes", "reason": ""})
    assert response.status_code == 200
    assert "Say briefly what the conflict is" in response.getvalue().decode()
    client.post(reverse("reviews:declare", args=[assignment.pk]), {"has_conflict": "yes", "reason": "My sister works there."})
    assert client.get(reverse("reviews:score", args=[assignment.pk])).status_code == 404
    assert client.get(reverse("reviews:declare", args=[assignment.pk])).status_code == 404
    assert client.post(reverse("reviews:score", args=[assignment.pk]), {"submit": "1"}).status_code == 404
    assert application.title not in client.get(reverse("reviews:queue")).content.decode()

    # The program officer sees the flag on the assignment pages and replaces the reviewer.
    login(client, officer)
    page = client.get(reverse("reviews:assign", args=[application.fund.slug])).content.decode()
    assert "Recusals waiting for a replacement (1)" in page and "My sister works there." in page
    page = client.get(reverse("reviews:assign_application", args=[application.pk])).content.decode()
    assert "needs a replacement" in page
    response = client.post(
        reverse("reviews:assign_application", args=[application.pk]),
        {"action": "replace", "assignment": assignment.pk, "reviewer": replacement.pk},
    )
    assert response.status_code == 302
    assert Assignment.objects.get(reviewer=replacement).application == application
    assert "needs a replacement" not in client.get(reverse("reviews:assign_application", args=[application.pk])).content.decode()


def test_an_unassigned_reviewer_gets_404(client, officer, in_review, make_reviewer, declared):
    assignment = declared(in_review(), make_reviewer())
    login(client, make_reviewer())
    for name in ["reviews:score", "reviews:declare"]:
        assert client.get(reverse(name, args=[assignment.pk])).status_code == 404
    assert client.post(reverse("reviews:panel_vote", args=[assignment.pk]), {"vote": "fund"}).status_code == 404


def test_an_assigned_reviewer_may_download_documents_only_after_declaring(client, officer, in_review, make_reviewer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import Attachment

    reviewer = make_reviewer()
    application = in_review()
    attachment = Attachment.objects.create(
        application=application, kind="budget", file=SimpleUploadedFile("budget.pdf", b"%PDF-1.4"),
        original_name="budget.pdf", content_type="application/pdf", size=8,
    )
    assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
    login(client, reviewer)
    assert client.get(reverse("applications:attachment", args=[attachment.pk])).status_code == 404
    services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=False)
    assert client.get(reverse("applications:attachment", args=[attachment.pk])).status_code == 200


def test_scores_out_of_range_are_shown_next_to_the_field_and_nothing_is_lost(client, fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    rooted, feasible = fund.rubrics.get().criteria.all()
    login(client, reviewer)
    response = client.post(reverse("reviews:score", args=[assignment.pk]), {
        f"score_{rooted.pk}": "9", f"comment_{rooted.pk}": "Deeply rooted.",
        f"score_{feasible.pk}": "7", "recommendation": "fund", "submit": "1",
    })
    page = response.getvalue().decode()
    assert response.status_code == 200
    assert "a score must be between 0 and 5; 9 is outside that range" in page
    assert "Deeply rooted." in page and 'value="7"' in page
    assert not Review.objects.exists()


def test_other_reviews_are_visible_only_after_submitting_ones_own(client, fund, in_review, make_reviewer, declared):
    application = in_review()
    first, second = make_reviewer(), make_reviewer()
    first_assignment = declared(application, first)
    second_assignment = declared(application, second)
    services.review_submit(assignment=first_assignment, by=first, scores=full_scores(fund, comment="UNIQUE-FIRST-COMMENT"),
                           recommendation="fund")
    login(client, second)
    before = client.get(reverse("reviews:score", args=[second_assignment.pk])).content.decode()
    assert "UNIQUE-FIRST-COMMENT" not in before and str(first) not in before
    assert "appear here once you have submitted your own" in before
    rooted, feasible = fund.rubrics.get().criteria.all()
    response = client.post(reverse("reviews:score", args=[second_assignment.pk]), {
        f"score_{rooted.pk}": "3", f"score_{feasible.pk}": "5", "recommendation": "maybe", "submit": "1",
    })
    assert response.status_code == 302
    after = client.get(reverse("reviews:score", args=[second_assignment.pk])).content.decode()
    assert "UNIQUE-FIRST-COMMENT" in after and str(first) in after
    assert "You submitted this review" in after
    # A second submission through the form is refused: the page shows the review read-only.
    assert 'name="submit"' not in after
    client.post(reverse("reviews:score", args=[second_assignment.pk]), {
        f"score_{rooted.pk}": "5", f"score_{feasible.pk}": "10", "recommendation": "fund", "submit": "1",
    })
    assert Review.objects.get(assignment=second_assignment).recommendation == "maybe"


def test_blind_review_hides_the_organisation_from_reviewers(client, fund, in_review, make_reviewer, declared, officer):
    fund.blind_review = True
    fund.save()
    application = in_review(organization=factories.OrganizationFactory(name="Hidden Name Collective"))
    reviewer = make_reviewer()
    pending = services.assignment_create(application=application, reviewer=reviewer, by=officer)
    login(client, reviewer)
    for url in [reverse("reviews:queue"), reverse("reviews:declare", args=[pending.pk])]:
        assert "Hidden Name Collective" not in client.get(url).content.decode()
    services.conflict_declare(assignment=pending, by=reviewer, has_conflict=False)
    page = client.get(reverse("reviews:score", args=[pending.pk])).content.decode()
    assert "Hidden Name Collective" not in page and "reviews blind" in page


def test_applicants_never_see_reviewers_or_scores_and_staff_see_declarations(client, officer, fund, in_review, make_reviewer, declared):
    application = in_review()
    applicant = factories.UserFactory(roles=["applicant"], organization=application.organization)
    visible = make_reviewer(first_name="Zebediah", last_name="Quill")
    recused = make_reviewer(first_name="Ottoline", last_name="Marsh")
    assignment = declared(application, visible)
    services.review_submit(assignment=assignment, by=visible, scores=full_scores(fund, comment="SECRET-REVIEW-COMMENT"),
                           recommendation="fund")
    other = services.assignment_create(application=application, reviewer=recused, by=officer)
    services.conflict_declare(assignment=other, by=recused, has_conflict=True, reason="CONFLICT-REASON-TEXT")

    login(client, applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    for secret in ["Zebediah", "Ottoline", "SECRET-REVIEW-COMMENT", "CONFLICT-REASON-TEXT", "100.00", "conflict of interest"]:
        assert secret not in page
    for url in [reverse("reviews:queue"), reverse("reviews:ranking", args=[fund.slug]),
                reverse("reviews:assign_application", args=[application.pk])]:
        assert client.get(url).status_code == 403

    login(client, officer)
    page = client.get(reverse("applications:review_detail", args=[application.pk])).content.decode()
    assert "Reviewer declared no conflict of interest" in page and "Zebediah Quill" in page
    assert "Reviewer declared a conflict of interest and was recused" in page and "CONFLICT-REASON-TEXT" in page


def test_the_ranking_sorts_by_column_and_shows_criterion_means(client, officer, fund, in_review, make_reviewer, declared):
    strong, weak, unreviewed = in_review(title="Strong proposal"), in_review(title="Weak proposal"), in_review(title="Not yet reviewed")
    for application, value in [(strong, None), (weak, 1), (weak, 2)]:
        reviewer = make_reviewer()
        services.review_submit(assignment=declared(application, reviewer), by=reviewer,
                               scores=full_scores(fund, value), recommendation="fund" if value is None else "do_not_fund")
    login(client, officer)
    page = client.get(reverse("reviews:ranking", args=[fund.slug])).content.decode()
    assert page.index("Strong proposal") < page.index("Weak proposal") < page.index("Not yet reviewed")
    assert "1.50" in page  # mean of the weak proposal's scores of 1 and 2 on each criterion
    page = client.get(reverse("reviews:ranking", args=[fund.slug]) + "?sort=score").content.decode()
    assert page.index("Weak proposal") < page.index("Strong proposal") < page.index("Not yet reviewed")
    page = client.get(reverse("reviews:ranking", args=[fund.slug]) + "?sort=-count").content.decode()
    assert page.index("Weak proposal") < page.index("Strong proposal")


def test_the_ranking_exports_to_csv_and_xlsx_with_exact_decimals(client, officer, fund, in_review, make_reviewer, declared):
    application = in_review(title="Exported proposal")
    rooted, feasible = fund.rubrics.get().criteria.all()
    reviewer = make_reviewer()
    services.review_submit(assignment=declared(application, reviewer), by=reviewer, recommendation="fund",
                           scores={rooted.pk: {"score": 2}, feasible.pk: {"score": 3}})
    at_risk = in_review(title="Sensitive proposal", organization=factories.OrganizationFactory(name="Secret Defenders", at_risk=True))
    login(client, officer)
    response = client.get(reverse("reviews:ranking_export", args=[fund.slug]) + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    content = response.getvalue().decode()
    frame = pd.read_csv(io.StringIO(content), dtype=str)
    row = frame[frame["Title"] == "Exported proposal"].iloc[0]
    # (3 × 2/5 + 1 × 3/10) / 4 × 100 = 37.5
    assert row["Weighted score (0-100)"] == "37.50"
    assert row["Community rootedness (mean of 5)"] == "2.00"
    assert "Secret Defenders" not in content
    assert "Undisclosed organisation" in content
    assert at_risk.title in content

    response = client.get(reverse("reviews:ranking_export", args=[fund.slug]) + "?format=xlsx")
    sheet = pd.read_excel(io.BytesIO(response.getvalue()), dtype=str)
    assert Decimal(sheet[sheet["Title"] == "Exported proposal"].iloc[0]["Weighted score (0-100)"]) == Decimal("37.5")
    assert client.get(reverse("reviews:ranking_export", args=[fund.slug]) + "?format=pdf").status_code == 404


def test_automatic_assignment_button_and_the_calls_page(client, officer, fund, in_review, make_reviewer):
    call = factories.CallFactory(fund=fund, name="First open call")
    [make_reviewer() for _ in range(3)]
    applications = [in_review(call=call) for _ in range(4)]
    login(client, officer)
    page = client.get(reverse("reviews:calls")).content.decode()
    assert "First open call" in page and fund.name in page
    response = client.post(reverse("reviews:assign", args=[fund.slug]) + f"?call={call.pk}", {"auto": "1"})
    assert response.status_code == 302
    assert Assignment.objects.filter(application__in=applications).count() == 8
    page = client.get(response.url).content.decode()
    assert "8 assignments made" in page


def test_reopening_through_the_page(client, officer, fund, in_review, make_reviewer, declared):
    application = in_review()
    reviewer = make_reviewer()
    review = services.review_submit(assignment=declared(application, reviewer), by=reviewer,
                                    scores=full_scores(fund), recommendation="fund")
    login(client, reviewer)
    assert client.post(reverse("reviews:reopen", args=[review.pk]), {"reason": "x"}).status_code == 403
    login(client, officer)
    client.post(reverse("reviews:reopen", args=[review.pk]), {"reason": "Please look at the budget again."})
    review.refresh_from_db()
    assert review.status == "draft"


def test_the_queue_puts_rapid_response_first(client, officer, make_reviewer, fund):
    reviewer = make_reviewer()
    rapid = factories.FundFactory(rapid=True)
    pooled_app = factories.ApplicationFactory(fund=fund, state="in_review", title="Pooled application")
    rapid_app = factories.ApplicationFactory(fund=rapid, state="in_review", title="Rapid application")
    services.assignment_create(application=pooled_app, reviewer=reviewer, by=officer)
    services.assignment_create(application=rapid_app, reviewer=reviewer, by=officer)
    login(client, reviewer)
    page = client.get(reverse("reviews:queue")).content.decode()
    assert page.index("Rapid application") < page.index("Pooled application")


# Ready for decision ------------------------------------------------------------------------------


def test_ready_for_decision_lists_reviewed_applications_nearest_deadline_first_with_approve(client, officer, fund):
    import datetime

    from django.utils import timezone

    rapid = factories.FundFactory(rapid=True)
    now = timezone.now()
    later = factories.ApplicationFactory(state="in_review", fund=rapid, title="Due later",
                                         submitted_at=now, decision_deadline=now + datetime.timedelta(hours=60))
    sooner = factories.ApplicationFactory(state="in_review", fund=rapid, title="Due sooner",
                                          submitted_at=now, decision_deadline=now + datetime.timedelta(hours=5))
    pooled = factories.ApplicationFactory(state="in_review", fund=fund, title="Pooled, reviewed")
    half = factories.ApplicationFactory(state="in_review", fund=fund, title="Half reviewed")
    for application in (later, sooner, pooled):
        factories.submit_reviews_for(application, application.fund.reviews_required, officer=officer)
    factories.submit_reviews_for(half, 1, officer=officer)

    page = login(client, officer).get(reverse("reviews:ready")).content.decode()

    assert page.index("Due sooner") < page.index("Due later") < page.index("Pooled, reviewed")
    assert "Half reviewed" not in page
    for application in (later, sooner, pooled):
        assert f'href="/finance/applications/{application.pk}/approve/"' in page
    assert "Decide by" in page and "clock--" in page


def test_a_panel_application_is_ready_once_the_majority_is_certain(client, officer):
    rapid = factories.FundFactory(rapid=True, reviews_required=1)
    services.rubric_set(fund=rapid, by=officer, mode="panel_vote")
    voted = factories.ApplicationFactory(state="in_review", fund=rapid, title="Panel said fund")
    factories.submit_reviews_for(voted, 1, officer=officer)
    waiting = factories.ApplicationFactory(state="in_review", fund=rapid, title="Panel still out")
    services.assignment_create(application=waiting, reviewer=factories.UserFactory(roles=["reviewer"]), by=officer)

    page = login(client, officer).get(reverse("reviews:ready")).content.decode()

    assert "Panel said fund" in page and "Panel still out" not in page


@pytest.mark.parametrize("role", ["applicant", "reviewer", "finance_officer", "donor"])
def test_only_program_officers_see_the_ready_list(client, role):
    user = factories.UserFactory(roles=[role])
    assert login(client, user).get(reverse("reviews:ready")).status_code == 403
    assert client.post(reverse("reviews:ready")).status_code == 403


def test_the_ready_list_is_read_only(client, officer):
    assert login(client, officer).post(reverse("reviews:ready")).status_code == 405
