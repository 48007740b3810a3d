"""Races on PostgreSQL: two officers pressing "Assign automatically" at once, and a review
submitted twice at the same moment."""
import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from reviews import services
from reviews.models import Assignment, Review
from tests import factories
from tests.reviews.helpers import full_scores

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_automatic_assignments_at_once_assign_each_application_its_reviewers_once(officer, fund, in_review, make_reviewer):
    second_officer = factories.UserFactory(roles=["program_officer"])
    [make_reviewer() for _ in range(5)]
    [in_review() for _ in range(30)]
    outcomes = _race(
        lambda: services.assignments_auto(fund=fund, by=officer),
        lambda: services.assignments_auto(fund=fund, by=second_officer),
    )
    assert sorted(len(o) for o in outcomes) == [0, 60]
    per_application = Counter(Assignment.objects.values_list("application_id", flat=True))
    assert set(per_application.values()) == {2}
    load = Counter(Assignment.objects.values_list("reviewer_id", flat=True))
    assert max(load.values()) - min(load.values()) <= 1


def test_a_review_submitted_twice_at_once_is_submitted_once(fund, in_review, make_reviewer, declared):
    reviewer = make_reviewer()
    assignment = declared(in_review(), reviewer)
    outcomes = _race(
        lambda: services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund), recommendation="fund"),
        lambda: services.review_submit(assignment=assignment, by=reviewer, scores=full_scores(fund, 0), recommendation="do_not_fund"),
    )
    assert sum(isinstance(o, Review) for o in outcomes) == 1
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1 and "already submitted" in str(refused[0])
    assert Review.objects.filter(status="submitted").count() == 1
