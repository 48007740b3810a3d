"""Ready for decision: the fund's required reviews (or a panel majority) are in."""
import pytest

from reviews import services
from reviews.models import Review
from reviews.selectors import application_ready_for_decision, application_review_summary
from tests import factories

pytestmark = pytest.mark.django_db


def test_application_is_ready_once_the_required_reviews_are_submitted():
    application = factories.ApplicationFactory(state="in_review")
    assert application.fund.reviews_required == 2
    factories.submit_reviews_for(application, 1)
    assert application_ready_for_decision(application=application) is False
    factories.submit_reviews_for(application, 1)
    assert application_ready_for_decision(application=application) is True

    summary = application_review_summary(application=application)
    assert summary["count"] == 2
    assert str(summary["mean"]) == "100.00"
    assert str(summary["spread"]) == "0.00"
    assert summary["recommendations"] == {"fund": 2, "maybe": 0, "do_not_fund": 0}
    assert summary["ready"] is True


def test_a_reopened_review_no_longer_counts(program_officer):
    application = factories.ApplicationFactory(state="in_review", fund=factories.FundFactory(reviews_required=1))
    factories.submit_reviews_for(application, 1)
    review = Review.objects.get(assignment__application=application)
    services.review_reopen(review=review, by=program_officer, reason="Please score the budget again.")
    assert application_ready_for_decision(application=application) is False


def test_panel_majority_makes_a_rapid_response_application_ready(program_officer):
    fund = factories.FundFactory(rapid=True, reviews_required=1)
    services.rubric_set(fund=fund, by=program_officer, mode="panel_vote")
    application = factories.ApplicationFactory(state="in_review", fund=fund)
    factories.submit_reviews_for(application, 1)
    assert application_ready_for_decision(application=application) is True
    assert application_review_summary(application=application)["panel"]["outcome"] == "fund"
