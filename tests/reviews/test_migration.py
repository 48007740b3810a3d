"""The migration to versioned rubrics keeps each existing rubric as its fund's rubric, version 1,
frozen when it was scored against, and records on every existing review the rubric it was scored
against, so old scores stay readable."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reviews", "0001_initial")]
AFTER = [("reviews", "0002_rubric_versions_per_call")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_rubrics_become_version_1_and_reviews_keep_theirs():
    apps = _migrate(BEFORE)
    try:
        Rubric, Criterion = apps.get_model("reviews", "Rubric"), apps.get_model("reviews", "Criterion")
        Assignment, Review, Score = (apps.get_model("reviews", name) for name in ("Assignment", "Review", "Score"))
        scored_app = factories.ApplicationFactory(state="in_review")
        unscored_fund = factories.FundFactory()
        scored = Rubric.objects.create(fund_id=scored_app.fund_id, mode="scoring")
        Rubric.objects.create(fund_id=unscored_fund.pk, mode="scoring")
        criterion = Criterion.objects.create(rubric=scored, title="Community rootedness", max_score=5, weight=1)
        reviewer = factories.UserFactory(roles=["reviewer"])
        assignment = Assignment.objects.create(application_id=scored_app.pk, reviewer_id=reviewer.pk, status="submitted")
        review = Review.objects.create(assignment=assignment, status="submitted", recommendation="fund", weighted_score=80)
        Score.objects.create(review=review, criterion=criterion, score=4)
    finally:
        apps = _migrate(AFTER)
    Rubric, Review = apps.get_model("reviews", "Rubric"), apps.get_model("reviews", "Review")
    after = {r.fund_id: r for r in Rubric.objects.all()}
    assert {(r.version, r.call_id) for r in after.values()} == {(1, None)}
    assert after[scored_app.fund_id].frozen_at is not None
    assert after[unscored_fund.pk].frozen_at is None
    assert Review.objects.get(pk=review.pk).rubric_id == after[scored_app.fund_id].pk
