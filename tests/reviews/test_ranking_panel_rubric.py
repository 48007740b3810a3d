"""The ranking decides once, in Python, which of a fund's applications are judged by a panel vote
(reviews.selectors._panel_rubric_of); it must pick the same ones as rubric_mode_of does per row in
SQL (the call's latest rubric, else the fund's, else none) for every layout of rubrics."""
import pytest
from django.db.models import Q

from applications.models import Application
from reviews.selectors import _panel_rubric_of, ranking_queryset, rubric_mode_of
from tests import factories

pytestmark = pytest.mark.django_db


def _chosen(fund, decision):
    if decision is True:
        return set(Application.objects.filter(fund=fund).values_list("pk", flat=True))
    if decision is False:
        return set()
    return set(Application.objects.filter(Q(fund=fund) & decision).values_list("pk", flat=True))


@pytest.mark.parametrize("rapid", [True, False])
@pytest.mark.parametrize("fund_mode", [None, "scoring", "panel_vote"])
def test_the_panel_applications_are_those_whose_rubric_is_a_panel_vote(rapid, fund_mode):
    fund = factories.FundFactory(rapid=rapid)
    if fund_mode:
        factories.RubricFactory(fund=fund, call=None, version=1, mode="scoring" if fund_mode == "panel_vote" else "panel_vote")
        factories.RubricFactory(fund=fund, call=None, version=2, mode=fund_mode)
    panel_then_scoring, panel, scoring, bare = (factories.CallFactory(fund=fund) for _ in range(4))
    factories.RubricFactory(fund=fund, call=panel_then_scoring, version=1, mode="panel_vote")
    factories.RubricFactory(fund=fund, call=panel_then_scoring, version=2, mode="scoring")
    factories.RubricFactory(fund=fund, call=panel, version=1, mode="panel_vote")
    factories.RubricFactory(fund=fund, call=scoring, version=1, mode="scoring")
    for call in (panel_then_scoring, panel, scoring, bare, None):
        factories.ApplicationFactory(fund=fund, call=call, state="in_review")

    by_sql = {
        row["pk"] for row in Application.objects.filter(fund=fund).annotate(mode=rubric_mode_of()).values("pk", "mode")
        if rapid and row["mode"] == "panel_vote"
    }
    assert _chosen(fund, _panel_rubric_of(fund)) == by_sql
    # The panel call is always a panel; the bare call and no call follow the fund's own rubric.
    expected_calls = {panel.pk} if rapid else set()
    if rapid and fund_mode == "panel_vote":
        expected_calls |= {bare.pk, None}
    assert {a.call_id for a in Application.objects.filter(pk__in=by_sql)} == expected_calls
    # And the ranking still lists every one of them, none ready without reviews or votes.
    rows = list(ranking_queryset(fund=fund))
    assert len(rows) == 5 and not any(row["ready"] for row in rows)
