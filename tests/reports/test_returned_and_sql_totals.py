"""Returned balances in donor figures, and the per-country totals the database computes.

"Disbursed" is paid less returned, per country, per region and per period (a return counts on the
day it was received); the database's GROUP BY splits grants between countries exactly as the
Python rule of DESIGN.md does, to the cent.
"""
import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from disbursements.models import BalanceReturn
from fundops.money import to_base
from reports.builders import build_donor_report
from reports.renderers import render
from reports.selectors import Period, country_totals, fund_country_totals, fund_grant_totals, split_by_country
from tests.reports.conftest import make_grant, pay

YEAR = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
_reference = itertools.count(1)


def give_back(grant, amount, rate, received_on):
    amount, rate = Decimal(amount), Decimal(rate)
    return BalanceReturn.objects.create(
        grant=grant, amount=amount, currency=grant.currency, fx_rate=rate, fx_date=received_on,
        base_amount=to_base(amount, rate, grant.fund.base_currency), received_on=received_on,
        reference=f"RET-{next(_reference)}",
    )


@pytest.mark.django_db
def test_disbursed_is_paid_less_returned_per_country_region_and_period(fund):
    grant = make_grant(fund, countries=["KE", "UG"], amount="10000")
    pay(grant, "6000.01", "1", datetime.date(2026, 3, 1))
    give_back(grant, "1000.00", "1", datetime.date(2026, 5, 2))
    give_back(grant, "100.00", "1", datetime.date(2027, 1, 5))  # after the period: not in it

    report = build_donor_report(fund=fund, period=YEAR)

    assert report.disbursed == Decimal("5000.01")
    rows = {r["country_code"]: r for r in report.country_rows}
    # 5000.01 split in two: 2500.00 each, the cent to KE (first by ISO code).
    assert rows["KE"]["disbursed"] == Decimal("2500.01") and rows["UG"]["disbursed"] == Decimal("2500.00")
    assert report.regions[0]["disbursed"] == Decimal("5000.01")
    assert [(m["label"], m["disbursed"]) for m in report.monthly] == [("Mar 2026", Decimal("6000.01")),
                                                                      ("May 2026", Decimal("-1000.00"))]
    assert report.annex[0]["disbursed"] == Decimal("5000.01")
    payments = [(p["paid_on"], p["amount"]) for p in report.payments]
    assert payments == [(datetime.date(2026, 3, 1), Decimal("6000.01")), (datetime.date(2026, 5, 2), Decimal("-1000.00"))]
    assert sum((c["base_amount"] for c in report.currencies), Decimal(0)) == report.disbursed

    # A period holding only the return: the grant is in it, with money coming back.
    may = build_donor_report(fund=fund, period=Period(datetime.date(2026, 5, 1), datetime.date(2026, 5, 31)))
    assert may.disbursed == Decimal("-1000.00") and may.grants == 1 and may.committed == 0


@pytest.mark.django_db
def test_the_csv_fetches_only_the_country_table(fund):
    pay(make_grant(fund, countries=["KE"]), "100", "1", datetime.date(2026, 3, 11))
    with CaptureQueriesContext(connection) as queries:
        report = build_donor_report(fund=fund, period=YEAR, fmt="csv")
    assert len(queries) == 1  # one GROUP BY: no annex, payments, donors or speed figures
    assert report.annex == [] and report.speed is None and report.payments == []
    assert render(report, "csv").decode().splitlines()[-1] == "TOTAL,,,1,1,10000.00,100.00,USD"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    grants=st.lists(
        st.tuples(
            st.lists(st.sampled_from(["BR", "IN", "KE", "SS", "TZ", "UG"]), min_size=0, max_size=4, unique=True),
            st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("90000"), places=2), max_size=3),
            st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900"), places=2), max_size=2),
            st.booleans(),
            st.sampled_from(["1", "1.0873", "0.0077"]),
        ),
        min_size=1, max_size=6,
    )
)
def test_database_totals_are_paid_less_returned_split_exactly_as_the_rule(fund, grants):
    """Per country: the database's figure is the sum over grants of split(paid - returned), to the cent."""
    with transaction.atomic():
        expected = {}
        made = []
        for countries, paid, returned, at_risk, rate in grants:
            grant = make_grant(fund, countries=countries, amount="100000", currency="EUR" if rate != "1" else "USD",
                               rate=rate, at_risk=at_risk, country="GT")
            for n, amount in enumerate(paid):
                pay(grant, amount, rate, datetime.date(2026, 2, 1 + n))
            for n, amount in enumerate(returned):
                give_back(grant, amount, rate, datetime.date(2026, 6, 1 + n))
            made.append(grant)
            net = (sum((p.base_amount for p in grant.payments.all()), Decimal(0))
                   - sum((r.base_amount for r in grant.balance_returns.all()), Decimal(0)))
            codes = sorted(countries) or ["GT"]
            for code, share in split_by_country(net, codes, "USD").items():
                key = ("" if at_risk else code, at_risk)
                expected[key] = expected.get(key, Decimal(0)) + share

        totals = fund_country_totals(fund=fund, period=YEAR)
        # The same rule in Python, from the per-grant rows, gives the same table.
        assert totals == country_totals(fund_grant_totals(fund=fund, period=YEAR), "USD")
        got = {}
        for (code, _region, label), row in totals.items():
            got[(code, label is not None)] = got.get((code, label is not None), Decimal(0)) + row["disbursed"]
        assert got == {key: value for key, value in expected.items()}
        assert sum(got.values(), Decimal(0)) == build_donor_report(fund=fund, period=YEAR).disbursed
        transaction.set_rollback(True)
