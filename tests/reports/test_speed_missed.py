"""The donor report's "decided within target": an application still undecided past its deadline is a miss."""
import datetime

import pytest

from reports.builders import build_donor_report
from reports.selectors import Period, fund_overdue_undecided_count
from tests import factories
from tests.reports.conftest import at, make_grant

YEAR = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def undecided(fund, *, submitted_at, state="in_review"):
    return factories.ApplicationFactory(
        fund=fund, state=state, submitted_at=submitted_at,
        decision_deadline=submitted_at + datetime.timedelta(hours=fund.decision_target_hours),
    )


@pytest.mark.django_db
def test_overdue_undecided_applications_count_as_missed(db):
    fund = factories.FundFactory(rapid=True, opens_on=datetime.date(2026, 1, 1), closes_on=None)
    decided = datetime.date(2026, 3, 10)
    # Two awards decided within the 72-hour target.
    for hours in (24, 48):
        make_grant(fund, decided_on=decided, submitted_at=at(decided) - datetime.timedelta(hours=hours))
    # Two applications past their deadline with no decision: each is a missed target.
    undecided(fund, submitted_at=at(datetime.date(2026, 4, 1)))
    undecided(fund, submitted_at=at(datetime.date(2026, 4, 2)), state="info_requested")
    # Not counted: an application whose deadline is still ahead, one withdrawn, one of another fund.
    undecided(fund, submitted_at=at(datetime.date(2026, 12, 31)), state="submitted")
    undecided(fund, submitted_at=at(datetime.date(2026, 4, 3)), state="withdrawn")
    undecided(factories.FundFactory(rapid=True), submitted_at=at(datetime.date(2026, 4, 1)))

    now = at(datetime.date(2026, 6, 1))
    assert fund_overdue_undecided_count(fund=fund, period=YEAR, now=now) == 2
    speed = build_donor_report(fund=fund, period=YEAR).speed
    assert speed["decisions"] == 2 and speed["within_target"] == 2
    assert speed["missed_undecided"] == 2 and speed["target_counted"] == 4
    assert speed["within_target_share"] == 0.5  # not 100 %: waiting longer never looks faster


@pytest.mark.django_db
def test_only_deadlines_inside_the_period_count(db):
    fund = factories.FundFactory(rapid=True, opens_on=datetime.date(2025, 1, 1), closes_on=None)
    undecided(fund, submitted_at=at(datetime.date(2025, 12, 1)))  # deadline in 2025
    undecided(fund, submitted_at=at(datetime.date(2026, 2, 1)))
    assert fund_overdue_undecided_count(fund=fund, period=YEAR, now=at(datetime.date(2026, 6, 1))) == 1
    # Before its deadline has passed, an application is not yet a miss.
    assert fund_overdue_undecided_count(fund=fund, period=YEAR, now=at(datetime.date(2026, 2, 2))) == 0


@pytest.mark.django_db
def test_no_decisions_yet_and_an_overdue_application_shows_zero_within_target(db):
    fund = factories.FundFactory(rapid=True, opens_on=datetime.date(2026, 1, 1), closes_on=None)
    undecided(fund, submitted_at=at(datetime.date(2026, 2, 1)))
    speed = build_donor_report(fund=fund, period=YEAR).speed
    assert speed["within_target"] == 0 and speed["within_target_share"] == 0
    assert speed["target_counted"] == 1
