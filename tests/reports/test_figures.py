"""Donor report figures: right to the cent, per country and in total, for exactly the period asked."""
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from disbursements.models import Payment
from fundops.disclosure import MIN_ORGANISATIONS, public_grant_reference
from reports.builders import build_donor_report, country_table
from reports.selectors import Period, country_totals, split_by_country
from tests import factories
from tests.reports.conftest import at, make_grant, pay

YEAR = Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def by_code(report):
    return {(r["country_code"] or r["label"]): r for r in report.country_rows}


@pytest.mark.django_db
def test_country_and_total_figures_are_the_stored_base_amounts_of_paid_payments(fund):
    kenya = make_grant(fund, countries=["KE"], amount="12000")
    # EUR grant working in three countries: each payment converted at its own recorded rate.
    tri = make_grant(fund, countries=["UG", "KE", "TZ"], amount="9000", currency="EUR", rate="1.0850")
    pay(kenya, "4000.00", "1", datetime.date(2026, 2, 1))
    pay(kenya, "3000.00", "1", datetime.date(2026, 3, 1), state="reconciled")
    pay(kenya, "5000.00", "1", datetime.date(2026, 3, 5), state="failed")
    pay(kenya, "1000.00", "1", datetime.date(2026, 3, 6), state="returned")
    pay(tri, "3333.33", "1.0873", datetime.date(2026, 3, 20))
    pay(tri, "1000.02", "1.1021", datetime.date(2026, 4, 20))

    report = build_donor_report(fund=fund, period=YEAR)

    paid = Payment.objects.filter(state__in=["paid", "reconciled"])
    assert report.disbursed == sum(p.base_amount for p in paid)
    # 3333.33 * 1.0873 = 3624.329709 -> 3624.33 ; 1000.02 * 1.1021 = 1102.122042 -> 1102.12
    # 4726.45 / 3 = 1575.4833...: each country 1575.48, the cent left over to KE (first by ISO code).
    share = Decimal("1575.48")
    rows = by_code(report)
    assert rows["KE"]["disbursed"] == Decimal("7000.00") + share + Decimal("0.01")
    assert rows["TZ"]["disbursed"] == share and rows["UG"]["disbursed"] == share
    assert sum(r["disbursed"] for r in report.country_rows) == report.disbursed
    # Commitments at the base amount fixed at decision, split the same way.
    assert report.committed == kenya.base_amount + tri.base_amount == Decimal("12000") + Decimal("9765.00")
    assert rows["KE"]["committed"] == Decimal("12000") + Decimal("3255.00")
    assert sum(r["committed"] for r in report.country_rows) == report.committed
    assert rows["KE"]["grants"] == 2 and report.grants == 2
    # Region subtotals add up to the same total.
    assert [r["region"] for r in report.regions] == ["Eastern Africa"]
    assert report.regions[0]["disbursed"] == report.disbursed


@pytest.mark.django_db
def test_period_boundaries_are_inclusive_dates(fund):
    period = Period(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    inside_first = make_grant(fund, decided_on=datetime.date(2026, 3, 1), amount="1000")
    inside_last = make_grant(fund, amount="2000")
    inside_last.decided_at = at(datetime.date(2026, 3, 31), 23)
    inside_last.save()
    before = make_grant(fund, decided_on=datetime.date(2026, 2, 28), amount="4000")
    after = make_grant(fund, decided_on=datetime.date(2026, 4, 1), amount="8000")
    pay(before, "100", "1", datetime.date(2026, 2, 28))
    pay(before, "200", "1", datetime.date(2026, 3, 1))
    pay(before, "400", "1", datetime.date(2026, 3, 31))
    pay(after, "800", "1", datetime.date(2026, 4, 1))

    report = build_donor_report(fund=fund, period=period)

    assert report.committed == Decimal("3000")
    assert report.disbursed == Decimal("600.00")
    references = {g["reference"] for g in report.annex}
    assert references == {public_grant_reference(g) for g in [inside_first, inside_last, before]}


@pytest.mark.django_db
def test_cancelled_awards_commit_nothing_but_their_payments_still_count(fund):
    grant = make_grant(fund, amount="5000")
    pay(grant, "1000", "1", datetime.date(2026, 3, 11))
    grant.status = "cancelled"
    grant.save()
    report = build_donor_report(fund=fund, period=YEAR)
    assert report.committed == 0 and report.disbursed == Decimal("1000.00")


@pytest.mark.django_db
def test_other_funds_money_never_enters_the_report(fund):
    other = factories.FundFactory()
    pay(make_grant(other, amount="7000"), "7000", "1", datetime.date(2026, 3, 11))
    report = build_donor_report(fund=fund, period=YEAR)
    assert report.is_empty and report.disbursed == 0 and report.committed == 0


@pytest.mark.django_db
def test_organisation_country_is_used_when_the_application_names_none(fund):
    make_grant(fund, countries=[], country="GT", amount="3000")
    report = build_donor_report(fund=fund, period=YEAR)
    assert [(r["country_code"], r["region"]) for r in report.country_rows] == [("GT", "Central America")]


@pytest.mark.django_db
def test_donor_cover_shows_their_contributions_and_share(fund):
    ours = factories.ContributionFactory(fund=fund, amount=Decimal("250000"), received_on=datetime.date(2026, 1, 5)).donor
    factories.ContributionFactory(fund=fund, amount=Decimal("750000"), received_on=datetime.date(2026, 1, 6))
    pay(make_grant(fund, amount="10000"), "10000", "1", datetime.date(2026, 3, 11))
    report = build_donor_report(fund=fund, period=YEAR, donor=ours)
    assert report.mobilised == Decimal("1000000")
    assert report.donor_received == Decimal("250000") and report.donor_share == Decimal("0.25")
    assert report.donor_share_of_disbursed == Decimal("2500.00")


@pytest.mark.django_db
def test_rapid_response_speed_median_percentile_and_target(db):
    fund = factories.FundFactory(rapid=True, opens_on=datetime.date(2026, 1, 1), closes_on=None)
    decided = datetime.date(2026, 3, 10)
    for hours, paid_after in [(24, 1), (48, 2), (60, 3), (100, 7)]:
        grant = make_grant(fund, decided_on=decided, submitted_at=at(decided) - datetime.timedelta(hours=hours))
        pay(grant, "1000", "1", decided + datetime.timedelta(days=paid_after))
    speed = build_donor_report(fund=fund, period=YEAR).speed
    assert speed["decisions"] == 4 and speed["decision_median"] == 2.25  # (48 + 60) / 2 hours, in days
    assert speed["decision_p90"] == pytest.approx(100 / 24)
    assert speed["within_target"] == 3 and speed["within_target_share"] == 0.75  # 72-hour target
    assert speed["payment_median"] == 2.5 and speed["payment_p90"] == 7


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_number_of_grants(fund):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            build_donor_report(fund=fund, period=YEAR)
        return len(queries)

    for i in range(3):
        pay(make_grant(fund, countries=["KE", "UG"]), "100", "1", datetime.date(2026, 3, 11))
    few = count_queries()
    for i in range(12):
        pay(make_grant(fund, countries=["BR"], at_risk=bool(i % 2)), "100", "1.1", datetime.date(2026, 4, 11))
    assert count_queries() == few


@given(
    amount=st.decimals(min_value=0, max_value=Decimal("10000000"), places=2),
    codes=st.lists(st.sampled_from(["AR", "BD", "KE", "NP", "PE", "UG", "ZA"]), min_size=1, max_size=7),
)
def test_a_grant_split_between_countries_adds_up_exactly(amount, codes):
    shares = split_by_country(amount, codes, "USD")
    assert sum(shares.values()) == amount
    assert set(shares) == set(codes)
    assert max(shares.values()) - min(shares.values()) < Decimal("0.01") * len(set(codes))
    assert all(s == s.quantize(Decimal("0.01")) for s in shares.values())


@settings(max_examples=60)
@given(
    grants=st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=Decimal("500000"), places=2),
            st.decimals(min_value=0, max_value=Decimal("500000"), places=2),
            st.lists(st.sampled_from(["BR", "IN", "KE", "SS", "TZ", "UG"]), min_size=1, max_size=4, unique=True),
            st.booleans(),
        ),
        max_size=25,
    )
)
def test_country_rows_always_add_up_to_the_total(grants):
    rows = [
        {"id": i, "organization_id": i, "committed": committed, "disbursed": disbursed,
         "country_codes": sorted(codes), "organization__at_risk": at_risk}
        for i, (committed, disbursed, codes, at_risk) in enumerate(grants)
    ]
    totals = country_totals(rows, "USD")
    assert sum((r["committed"] for r in totals.values()), Decimal(0)) == sum((g[0] for g in grants), Decimal(0))
    assert sum((r["disbursed"] for r in totals.values()), Decimal(0)) == sum((g[1] for g in grants), Decimal(0))
    assert all(code == "" for (code, _, label) in totals if label)  # undisclosed rows never carry a country


@settings(max_examples=120, deadline=None)
@given(
    grants=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=8),  # organisation: several grants may share one
            st.decimals(min_value=0, max_value=Decimal("500000"), places=2),
            st.decimals(min_value=0, max_value=Decimal("500000"), places=2),
            st.lists(st.sampled_from(["BR", "CM", "CO", "IN", "KE", "MX", "NP", "SS", "TD", "UG", "ZZ"]),
                     min_size=1, max_size=3, unique=True),
        ),
        max_size=30,
    ),
    at_risk_orgs=st.sets(st.integers(min_value=1, max_value=8)),
)
def test_small_undisclosed_cells_merge_and_the_table_still_adds_up_to_the_cent(grants, at_risk_orgs):
    rows = [
        {"id": i, "organization_id": org, "committed": committed, "disbursed": disbursed,
         "country_codes": sorted(codes), "organization__at_risk": org in at_risk_orgs}
        for i, (org, committed, disbursed, codes) in enumerate(grants)
    ]
    table = country_table(rows, "USD")
    for column, index in [("committed", 1), ("disbursed", 2)]:
        total = sum((g[index] for g in grants), Decimal(0))
        assert sum((r[column] for r in table["rows"]), Decimal(0)) == total
        assert sum((b[column] for b in table["regions"]), Decimal(0)) == total
        for block in table["regions"]:
            assert block[column] == sum((r[column] for r in block["rows"]), Decimal(0))
    undisclosed = [r for r in table["rows"] if r["undisclosed"]]
    # Only the one catch-all row may cover fewer than three organisations, and there is at most one.
    assert all(r["organisations"] >= MIN_ORGANISATIONS for r in undisclosed if not r["catch_all"])
    assert sum(1 for r in undisclosed if r["catch_all"]) <= 1
    assert all(r["country_code"] == "" for r in undisclosed)
    # No region block mixes named countries with an undisclosed row that is too small to show.
    for block in table["regions"]:
        small = [r for r in block["rows"] if r["undisclosed"] and r["organisations"] < MIN_ORGANISATIONS]
        assert not small or all(r["undisclosed"] for r in block["rows"])
    # Every at-risk organisation's money is somewhere, and no named country holds any of it.
    hidden_grants = {row["id"] for row in rows if row["organization__at_risk"]}
    assert set().union(set(), *(r["_grant_ids"] for r in undisclosed)) == hidden_grants
