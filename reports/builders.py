"""The donor report's content, built once and drawn by every format (PDF, XLSX, CSV).

`build_donor_report` makes a fixed number of queries whatever the number of grants: the
database sums per grant, per month, per currency and per donor; Python splits grants by country.
Everything a donor may see of a grantee goes through fundops.disclosure.
"""
import datetime
import math
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django_countries import countries

from fundops.disclosure import UNDISCLOSED_ORGANISATION, undisclosed_region_label
from fundops.money import quantize
from fundops.regions import region_for

from . import selectors
from .selectors import ZERO, Period


@dataclass
class DonorReport:
    fund: object
    period: Period
    currency: str
    generated_at: datetime.datetime
    donor: object = None
    donor_received: Decimal = ZERO
    donor_pledged: Decimal = ZERO
    donor_share: Decimal = None  # fraction of the money the fund has received
    donor_share_of_disbursed: Decimal = None
    mobilised: Decimal = ZERO
    pledged: Decimal = ZERO
    committed: Decimal = ZERO
    disbursed: Decimal = ZERO
    grants: int = 0
    organisations: int = 0
    countries_reached: int = 0
    undisclosed_regions: int = 0
    regions: list = field(default_factory=list)  # [{region, rows: [country rows], totals...}]
    country_rows: list = field(default_factory=list)
    monthly: list = field(default_factory=list)  # [{month, label, disbursed, payments}]
    currencies: list = field(default_factory=list)
    donors: list = field(default_factory=list)
    speed: dict = None
    annex: list = field(default_factory=list)
    payments: list = field(default_factory=list)

    @property
    def is_empty(self):
        return not self.annex

    @property
    def title(self):
        return f"{self.fund.name}: report to {'donors' if self.donor is None else self.donor.name}"


def default_period(fund, start=None, end=None):
    """From the fund's opening to today unless dates are given."""
    return Period(start=start or fund.opens_on, end=end or timezone.localdate())


def build_donor_report(*, fund, period, donor=None, with_payments=True):
    """Everything the report shows; `with_payments=False` skips the payment list only the XLSX needs."""
    currency = fund.base_currency
    grant_rows = selectors.fund_grant_totals(fund=fund, period=period)
    report = DonorReport(fund=fund, period=period, currency=currency, generated_at=timezone.now(), donor=donor)

    _money_in(report, selectors.fund_donor_contributions(fund=fund, until=period.end))
    report.committed = sum((g["committed"] for g in grant_rows), ZERO)
    report.disbursed = sum((g["disbursed"] for g in grant_rows), ZERO)
    report.grants = len(grant_rows)
    report.organisations = len({g["organization_id"] for g in grant_rows})
    if report.donor_share is not None:
        report.donor_share_of_disbursed = quantize(report.disbursed * report.donor_share, currency)

    _countries(report, selectors.country_totals(grant_rows, currency))
    report.monthly = [
        {"month": month, "label": f"{month:%b %Y}", "disbursed": total, "payments": count}
        for month, total, count in selectors.fund_monthly_disbursed(fund=fund, period=period)
    ]
    report.currencies = selectors.fund_currency_totals(fund=fund, period=period)
    # Undisclosed grants go last, in order of their generated references: sorted among the
    # others by real reference, their place in the list would betray the reference they hide.
    report.annex = sorted(
        (_annex_row(g) for g in grant_rows),
        key=lambda row: (row["organisation"] == UNDISCLOSED_ORGANISATION, row["reference"]),
    )
    if with_payments:
        report.payments = [_payment_row(p) for p in selectors.fund_payments(fund=fund, period=period)]
    if fund.is_rapid_response:
        report.speed = rapid_response_speed(grant_rows, fund.decision_target_hours, period)
    return report


def _money_in(report, donor_rows):
    report.donors = donor_rows
    report.mobilised = sum((d["received"] for d in donor_rows), ZERO)
    report.pledged = sum((d["pledged"] for d in donor_rows), ZERO)
    if report.donor is not None:
        own = next((d for d in donor_rows if d["donor_id"] == report.donor.pk), None)
        report.donor_received = own["received"] if own else ZERO
        report.donor_pledged = own["pledged"] if own else ZERO
        report.donor_share = (report.donor_received / report.mobilised) if report.mobilised else ZERO


def _countries(report, totals):
    by_region = {}
    for (code, region, undisclosed_label), row in totals.items():
        by_region.setdefault(region, []).append(
            {
                "country_code": code,
                "country": str(countries.name(code)) if code else "",
                "label": undisclosed_label or str(countries.name(code)) or code,
                "region": region,
                "undisclosed": undisclosed_label is not None,
                "grants": len(row["grants"]),
                "organisations": len(row["organisations"]),
                "committed": row["committed"],
                "disbursed": row["disbursed"],
                "_grant_ids": row["grants"],
                "_org_ids": row["organisations"],
            }
        )
    for region in sorted(by_region):
        rows = sorted(by_region[region], key=lambda r: (r["undisclosed"], r["label"]))
        report.regions.append(
            {
                "region": region,
                "rows": rows,
                "grants": len(set().union(*(r["_grant_ids"] for r in rows))),
                "organisations": len(set().union(*(r["_org_ids"] for r in rows))),
                "committed": sum((r["committed"] for r in rows), ZERO),
                "disbursed": sum((r["disbursed"] for r in rows), ZERO),
            }
        )
        report.country_rows.extend(rows)
    # Only named countries are counted, so a count can never hint at an undisclosed one.
    report.countries_reached = sum(1 for r in report.country_rows if not r["undisclosed"])
    report.undisclosed_regions = sum(1 for r in report.country_rows if r["undisclosed"])


def _annex_row(grant):
    at_risk = grant["organization__at_risk"]
    if at_risk:
        where = ", ".join(sorted({undisclosed_region_label(region_for(c)) for c in grant["country_codes"]}))
    else:
        where = ", ".join(str(countries.name(c)) or c for c in grant["country_codes"])
    return {
        # The same choice fundops.disclosure.public_grant_reference makes, from the row we already have.
        "reference": grant["public_reference"] if at_risk else grant["reference"],
        "organisation": UNDISCLOSED_ORGANISATION if at_risk else grant["organization__name"],
        "country": where,
        "decided_on": timezone.localtime(grant["decided_at"]).date(),
        "awarded": grant["base_amount"],
        "committed": grant["committed"],
        "disbursed": grant["disbursed"],
        "status": grant["status"],
    }


def _payment_row(payment):
    at_risk = payment["grant__organization__at_risk"]
    return {
        "paid_on": payment["paid_on"],
        "grant": payment["grant__public_reference"] if at_risk else payment["grant__reference"],
        "organisation": UNDISCLOSED_ORGANISATION if at_risk else payment["grant__organization__name"],
        "currency": payment["currency"],
        "amount": payment["amount"],
        "fx_rate": payment["fx_rate"],
        "base_amount": payment["base_amount"],
    }


def percentile(values, fraction):
    """Nearest-rank percentile: the smallest value with at least `fraction` of values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def rapid_response_speed(grant_rows, target_hours, period):
    """Days from submission to decision and from decision to first payment, for awards decided in the period."""
    decided = [g for g in grant_rows if period.start_at <= g["decided_at"] < period.end_before]
    to_decision = [
        (g["decided_at"] - g["application__submitted_at"]).total_seconds() / 86400
        for g in decided
        if g["application__submitted_at"]
    ]
    to_payment = [
        (g["first_paid_on"] - timezone.localtime(g["decided_at"]).date()).days for g in decided if g["first_paid_on"]
    ]
    speed = {"decisions": len(to_decision), "first_payments": len(to_payment), "target_hours": target_hours}
    if to_decision:
        speed["decision_median"] = statistics.median(to_decision)
        speed["decision_p90"] = percentile(to_decision, 0.9)
        if target_hours:
            within = sum(1 for days in to_decision if days * 24 <= target_hours)
            speed["within_target"] = within
            speed["within_target_share"] = within / len(to_decision)
    if to_payment:
        speed["payment_median"] = statistics.median(to_payment)
        speed["payment_p90"] = percentile(to_payment, 0.9)
    return speed
