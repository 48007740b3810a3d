"""Scoring and submitting a review: ranges, completeness, once only, reopening; panel votes."""
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fundops.audit import audit_trail
from reviews import services
from reviews.models import PanelTieBreak, Review, Score
from reviews.selectors import application_ready_for_decision, application_review_summary
from tests import factories
from tests.reviews.helpers import full_scores

pytestmark = pytest.mark.django_db


def test_a_submitted_review_gets_its_weighted_score_and_is_audited(fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    rooted, feasible = fund.rubrics.get().criteria.all()
    review = services.review_submit(
        assignment=assignment, by=reviewer, recommendation="maybe",
        scores={rooted.pk: {"score": 4, "comment": "Led by the community."}, feasible.pk: {"score": "6", "comment": ""}},
    )
    # (3 × 4/5 + 1 × 6/10) / 4 × 100 = (2.4 + 0.6) / 4 × 100 = 75
    assert review.weighted_score == Decimal("75.00")
    assert review.status == "submitted" and review.submitted_at
    assignment.refresh_from_db()
    assert assignment.status == "submitted"
    assert audit_trail(review).get().transition == "submit"


def test_a_score_outside_0_to_max_is_refused_with_a_message_and_nothing_saved(fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    rooted, feasible = fund.rubrics.get().criteria.all()
    scores = full_scores(fund)
    scores[rooted.pk]["score"] = 6
    scores[feasible.pk]["score"] = -1
    with pytest.raises(ValidationError) as error:
        services.review_submit(assignment=assignment, by=reviewer, scores=scores, recommendation="fund")
    messages = error.value.message_dict
    assert messages[f"score_{rooted.pk}"] == [
        "“Community rootedness”: a score must be between 0 and 5; 6 is outside that range."
    ]
    assert "between 0 and 10" in messages[f"score_{feasible.pk}"][0]
    assert not Score.objects.exists() and not Review.objects.exists()


def test_a_score_that_is_not_a_whole_number_is_refused(fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    scores = full_scores(fund)
    first = next(iter(scores))
    scores[first]["score"] = "4.5"
    with pytest.raises(ValidationError) as error:
        services.review_save_draft(assignment=assignment, by=reviewer, scores=scores)
    assert "whole number" in error.value.message_dict[f"score_{first}"][0]


def test_submitting_needs_every_criterion_and_a_recommendation_but_a_draft_does_not(fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    rooted, feasible = fund.rubrics.get().criteria.all()
    services.review_save_draft(assignment=assignment, by=reviewer, scores={rooted.pk: {"score": 3, "comment": "ok"}})
    with pytest.raises(ValidationError) as error:
        services.review_submit(assignment=assignment, by=reviewer)
    assert set(error.value.message_dict) == {f"score_{feasible.pk}", "recommendation"}
    review = Review.objects.get()
    assert review.status == "draft" and review.scores.get().score == 3  # the draft is kept


def test_a_second_submission_of_the_same_review_is_refused(fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund), recommendation="fund")
    with pytest.raises(ValidationError) as error:
        services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund, 0), recommendation="do_not_fund")
    assert "already submitted" in str(error.value)
    review = Review.objects.get()
    assert review.recommendation == "fund" and review.weighted_score == Decimal("100.00")


def test_a_reviewer_cannot_score_before_declaring_or_someone_elses_assignment(officer, fund, in_review, make_reviewer):
    reviewer = make_reviewer()
    assignment = services.assignment_create(application=in_review(), reviewer=reviewer, by=officer)
    with pytest.raises(ValidationError):
        services.review_save_draft(assignment=assignment, by=reviewer, scores=full_scores(fund))
    with pytest.raises(PermissionDenied):
        services.review_save_draft(assignment=assignment, by=make_reviewer(), scores=full_scores(fund))


def test_only_a_program_officer_reopens_with_a_reason_and_it_is_audited(officer, fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    review = services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund), recommendation="fund")
    with pytest.raises(PermissionDenied):
        services.review_reopen(review=review, by=reviewer, reason="I changed my mind")
    with pytest.raises(ValidationError):
        services.review_reopen(review=review, by=officer, reason="")
    services.review_reopen(review=review, by=officer, reason="Budget criterion misread.")
    review.refresh_from_db()
    assert review.status == "draft" and review.reopened_by == officer
    entry = audit_trail(review).filter(transition="reopen").get()
    assert (entry.actor, entry.note, entry.from_state, entry.to_state) == (officer, "Budget criterion misread.", "submitted", "draft")
    # The reviewer can now change and resubmit.
    review = services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund, 0), recommendation="do_not_fund")
    assert review.weighted_score == Decimal("0.00")


def test_the_summary_gives_mean_spread_and_recommendations(fund, in_review, make_reviewer, declared):
    application = in_review()
    for value, recommendation in [(None, "fund"), (0, "do_not_fund"), (None, "maybe")]:
        reviewer = make_reviewer()
        services.review_submit(assignment=declared(application, reviewer), by=reviewer,
                               scores=full_scores(fund, value), recommendation=recommendation)
    summary = application_review_summary(application=application)
    assert summary["count"] == 3
    assert summary["mean"] == Decimal("66.67")
    assert summary["spread"] == Decimal("100.00")
    assert summary["recommendations"] == {"fund": 1, "maybe": 1, "do_not_fund": 1}


# Panel votes -------------------------------------------------------------------------------


@pytest.fixture
def panel_fund(officer):
    fund = factories.FundFactory(rapid=True, reviews_required=2)
    services.rubric_set(fund=fund, by=officer, mode="panel_vote", instructions="Vote fund if the need is urgent.")
    return fund


def test_a_pooled_fund_cannot_decide_by_panel(officer, fund):
    with pytest.raises(ValidationError):
        services.rubric_set(fund=fund, by=officer, mode="panel_vote")


def test_panel_majority_decides_and_a_member_votes_once(officer, panel_fund, make_reviewer, declared):
    application = factories.ApplicationFactory(fund=panel_fund, state="in_review")
    members = [make_reviewer() for _ in range(3)]
    assignments = [declared(application, m) for m in members]
    services.panel_vote_cast(assignment=assignments[0], by=members[0], vote="fund")
    assert application_ready_for_decision(application=application) is False
    with pytest.raises(ValidationError):
        services.panel_vote_cast(assignment=assignments[0], by=members[0], vote="do_not_fund")
    services.panel_vote_cast(assignment=assignments[1], by=members[1], vote="fund", note="Urgent need.")
    assert application_ready_for_decision(application=application) is True
    assert application_review_summary(application=application)["panel"]["outcome"] == "fund"


def test_a_tied_panel_waits_for_the_program_officers_casting_decision(officer, panel_fund, make_reviewer, declared):
    application = factories.ApplicationFactory(fund=panel_fund, state="in_review")
    members = [make_reviewer() for _ in range(2)]
    assignments = [declared(application, m) for m in members]
    services.panel_vote_cast(assignment=assignments[0], by=members[0], vote="fund")
    with pytest.raises(ValidationError):
        services.panel_tie_break(application=application, by=officer, vote="fund")  # not tied yet
    services.panel_vote_cast(assignment=assignments[1], by=members[1], vote="do_not_fund")
    summary = application_review_summary(application=application)
    assert summary["panel"]["tie"] is True and summary["ready"] is False
    with pytest.raises(PermissionDenied):
        services.panel_tie_break(application=application, by=members[0], vote="fund")
    services.panel_tie_break(application=application, by=officer, vote="do_not_fund", note="Budget unclear.")
    assert application_ready_for_decision(application=application) is True
    assert application_review_summary(application=application)["panel"]["outcome"] == "do_not_fund"
    assert audit_trail(PanelTieBreak.objects.get()).get().actor == officer


def test_a_panel_fund_is_not_scored(panel_fund, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(factories.ApplicationFactory(fund=panel_fund, state="in_review"), reviewer)
    with pytest.raises(ValidationError) as error:
        services.review_save_draft(assignment=assignment, by=reviewer, recommendation="fund")
    assert "panel vote" in str(error.value)
