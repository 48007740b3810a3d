"""Worlds for review tests: a fund with a rubric, reviewers, applications in review."""
from decimal import Decimal

import pytest

from reviews import services
from tests import factories


@pytest.fixture
def officer(db):
    return factories.UserFactory(roles=["program_officer"], email="officer@example.org")


@pytest.fixture
def fund(db):
    fund = factories.FundFactory(reviews_required=2)
    rubric = factories.RubricFactory(fund=fund)
    factories.CriterionFactory(rubric=rubric, title="Community rootedness", max_score=5, weight=Decimal("3"), order=1)
    factories.CriterionFactory(rubric=rubric, title="Feasibility", max_score=10, weight=Decimal("1"), order=2)
    return fund


@pytest.fixture
def make_reviewer(db):
    def _make(**kwargs):
        return factories.UserFactory(roles=["reviewer"], **kwargs)

    return _make


@pytest.fixture
def in_review(fund):
    def _make(**kwargs):
        kwargs.setdefault("fund", fund)
        return factories.ApplicationFactory(state="in_review", **kwargs)

    return _make


@pytest.fixture
def declared(officer):
    """An assignment of `reviewer` to `application`, declared free of conflict."""

    def _make(application, reviewer):
        assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
        services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=False)
        assignment.refresh_from_db()
        return assignment

    return _make
