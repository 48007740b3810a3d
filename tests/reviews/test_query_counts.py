"""The ranking page and the reviewer queue cost the same number of queries for 10 or 300
applications: the database groups and averages, templates never query per row."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews.models import Assignment, Review, Score
from tests import factories

pytestmark = pytest.mark.django_db


def _applications_with_reviews(fund, reviewers, count):
    """`count` applications in review, each with a submitted, scored review by every reviewer
    (rows written in bulk: this is a read test)."""
    applications = factories.ApplicationFactory.create_batch(count, fund=fund, state="in_review")
    assignments = Assignment.objects.bulk_create(
        [Assignment(application=a, reviewer=r, status="submitted") for a in applications for r in reviewers]
    )
    reviews = Review.objects.bulk_create(
        [Review(assignment=a, status="submitted", recommendation="fund", weighted_score=50 + (i % 50))
         for i, a in enumerate(assignments)]
    )
    criteria = list(fund.rubric.criteria.all())
    Score.objects.bulk_create([Score(review=r, criterion=c, score=3) for r in reviews for c in criteria])
    return applications


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries), response


def test_the_ranking_uses_the_same_number_of_queries_for_10_and_300_applications(client, officer, fund, make_reviewer):
    reviewers = [make_reviewer(), make_reviewer()]
    small_fund = factories.FundFactory()
    small_rubric = factories.RubricFactory(fund=small_fund)
    for criterion in fund.rubric.criteria.all():
        factories.CriterionFactory(rubric=small_rubric, title=criterion.title, max_score=criterion.max_score)
    _applications_with_reviews(small_fund, reviewers, 10)
    _applications_with_reviews(fund, reviewers, 300)
    client.force_login(officer)

    small, small_page = _queries(client, reverse("reviews:ranking", args=[small_fund.slug]))
    large, large_page = _queries(client, reverse("reviews:ranking", args=[fund.slug]))
    assert "10 applications in review" in small_page.content.decode()
    assert "300 applications in review" in large_page.content.decode()
    assert small == large


def test_the_reviewer_queue_uses_the_same_number_of_queries_for_10_and_300_assignments(client, officer, fund, make_reviewer):
    few, many = make_reviewer(), make_reviewer()
    rapid = factories.FundFactory(rapid=True)
    factories.RubricFactory(fund=rapid)
    for reviewer, count in [(few, 10), (many, 300)]:
        applications = factories.ApplicationFactory.create_batch(count // 2, fund=fund, state="in_review")
        applications += factories.ApplicationFactory.create_batch(count - count // 2, fund=rapid, state="in_review")
        Assignment.objects.bulk_create(
            [Assignment(application=a, reviewer=reviewer, status="pending" if i % 2 else "no_conflict")
             for i, a in enumerate(applications)]
        )
    client.force_login(few)
    small, small_page = _queries(client, reverse("reviews:queue"))
    client.force_login(many)
    large, large_page = _queries(client, reverse("reviews:queue"))
    assert small_page.content.decode().count("<tr>") == 10 + 1
    assert large_page.content.decode().count("<tr>") == 300 + 1
    assert small == large
