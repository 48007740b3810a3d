"""Property-based tests of a report's money: the unspent balance is what was paid minus the budget
lines, to the cent, however the grantee types them; amounts finer than the currency are refused."""
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grantee_reports import selectors, services
from grantee_reports.models import ReportKind

from .helpers import approved_grant, grantee_of, paid_payment, report_of, two_tranche_fund, two_tranches

pytestmark = pytest.mark.django_db

cents = st.integers(min_value=0, max_value=10**9).map(lambda n: Decimal(n).scaleb(-2))


@pytest.fixture
def report(officer, finance, finance2):
    grant = approved_grant(two_tranche_fund(officer), officer, amount="10000.10", plan=two_tranches())
    paid_payment(grant, finance, finance2)
    report = report_of(grant, ReportKind.FINANCIAL)
    report.grantee = grantee_of(grant)
    return report


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(cents, min_size=1, max_size=8))
def test_unspent_is_paid_minus_the_lines_to_the_cent(report, amounts):
    lines = [(f"Line {n}", format(amount, "f")) for n, amount in enumerate(amounts, start=1)]
    services.report_draft_save(report=report, by=report.grantee, budget_lines=lines)
    money = selectors.report_money(report)
    assert money["paid"] == Decimal("6000.06")  # 60 % of 10,000.10, quantised half-even
    assert money["spent"] == sum(amounts)
    assert money["unspent"] == Decimal("6000.06") - sum(amounts)
    assert report.budget_lines.count() == len(amounts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=st.integers(min_value=1, max_value=10**6).map(lambda n: Decimal(n).scaleb(-3)).filter(lambda d: d % Decimal("0.01")))
def test_amounts_finer_than_the_currency_are_refused_and_nothing_changes(report, amount):
    services.report_draft_save(report=report, by=report.grantee, budget_lines=[("Kept", "10")])
    with pytest.raises(ValidationError) as refused:
        services.report_draft_save(report=report, by=report.grantee, budget_lines=[("Rent", format(amount, "f"))])
    assert "at most 2 decimal places" in " ".join(refused.value.message_dict["budget_lines"])
    assert list(report.budget_lines.values_list("label", flat=True)) == ["Kept"]
