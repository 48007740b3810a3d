"""The donor report's content, built once and drawn by every format (PDF, XLSX, CSV).

`build_donor_report` makes a fixed number of queries whatever the number of grants: the
database sums per grant, per month, per currency and per donor; Python splits grants by country.
Everything a donor may see of a grantee goes through fundops.disclosure.
"""
import datetime
import functools
import math
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from fundops import disclosure
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
    has_undisclosed: bool = False  # some countries are not shown (no count: it would be a small cell)
    regions: list = field(default_factory=list)  # [{region, rows: [country rows], totals...}]
    country_rows: list = field(default_factory=list)
    time_unit: str = "month"  # "quarter" when undisclosed grants were paid (docs/disclosure.md)
    monthly: list = field(default_factory=list)  # [{month, label, disbursed, payments}], by time_unit
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
        if self.donor is None:
            return _("%(fund)s: report to donors") % {"fund": self.fund.name}
        return _("%(fund)s: report to %(donor)s") % {"fund": self.fund.name, "donor": self.donor.name}


def default_period(fund, start=None, end=None):
    """From the fund's opening to today unless dates are given."""
    return Period(start=start or fund.opens_on, end=end or timezone.localdate())


def build_donor_report(*, fund, period, donor=None, with_payments=True, fmt=None):
    """Everything the report shows, or for `fmt="csv"` only what the CSV prints (the country table
    and its total: no annex, payments or speed figures); `with_payments=False` skips the payment
    list only the XLSX needs.

    What a donor may see of at-risk grantees is decided by fundops.disclosure (docs/disclosure.md):
    every grant under its opaque public reference, undisclosed ones dated to the quarter, their
    money in groups of at least three organisations, their payments folded into those groups.
    Per-country totals come from one GROUP BY in the database (selectors.fund_country_totals).
    """
    currency = fund.base_currency
    report = DonorReport(fund=fund, period=period, currency=currency, generated_at=timezone.now(), donor=donor)
    table = country_table_from(selectors.fund_country_totals(fund=fund, period=period))
    report.regions, report.country_rows, groups = table["regions"], table["rows"], table["groups"]
    report.countries_reached = sum(1 for r in report.country_rows if not r["undisclosed"])
    report.has_undisclosed = any(r["undisclosed"] for r in report.country_rows)
    report.committed = sum((r["committed"] for r in report.country_rows), ZERO)
    report.disbursed = sum((r["disbursed"] for r in report.country_rows), ZERO)
    report.grants = len(set().union(*(r["_grant_ids"] for r in report.country_rows)))
    report.organisations = len(set().union(*(r["_org_ids"] for r in report.country_rows)))
    if fmt == "csv":
        return report

    _money_in(report, selectors.fund_donor_contributions(fund=fund, until=period.end))
    if report.donor_share is not None:
        report.donor_share_of_disbursed = quantize(report.disbursed * report.donor_share, currency)
    grant_rows = selectors.fund_grant_totals(fund=fund, period=period)
    # A month's total less the named payments listed to the day would give an undisclosed
    # payment its month: when undisclosed grants were paid, money over time is shown by quarter.
    if any(g["organization__at_risk"] and g["disbursed"] for g in grant_rows):
        report.time_unit = "quarter"
    report.monthly = [
        {"month": month, "label": disclosure.quarter_label(month) if report.time_unit == "quarter" else f"{month:%b %Y}",
         "disbursed": total, "payments": count}
        for month, total, count in selectors.fund_monthly_disbursed(fund=fund, period=period, by=report.time_unit)
    ]
    report.currencies = _currencies(selectors.fund_currency_totals(fund=fund, period=period), currency)
    undisclosed_name, zone = _(disclosure.UNDISCLOSED_ORGANISATION), timezone.get_current_timezone()
    report.annex = sorted((_annex_row(g, groups, undisclosed_name, zone) for g in grant_rows), key=_annex_order)
    if with_payments:
        report.payments = payment_rows(selectors.fund_payments(fund=fund, period=period), groups, currency)
    if fund.is_rapid_response:
        report.speed = rapid_response_speed(
            grant_rows, fund.decision_target_hours, period,
            missed_undecided=selectors.fund_overdue_undecided_count(fund=fund, period=period),
        )
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


def undisclosed_groups(grant_rows):
    """{region: UndisclosedGroup} for this report's at-risk grants (fundops.disclosure's small-cell rule)."""
    return disclosure.undisclosed_groups_for(
        (g["organization_id"], g["country_codes"]) for g in grant_rows if g["organization__at_risk"]
    )


def merged_block_label():
    return _("Undisclosed (merged regions)")


def country_table(grant_rows, currency):
    """The by-country table: {"regions": blocks with subtotals, "rows": country rows, "groups": ...}.

    Named grantees' money is shown per country under its region. At-risk grantees' money is shown
    only per undisclosed group: a region's own "undisclosed countries" row when it covers at least
    three organisations, else a continent's or the catch-all row, which sit together in a last block
    of their own — never inside a region's subtotal, where subtracting the named countries would
    give the small group back. Every row, subtotal and the total add up to the cent.
    """
    return country_table_from(selectors.country_totals(grant_rows, currency))


def country_table_from(country_totals):
    """`country_table` from per-country totals already summed (selectors.fund_country_totals)."""
    organisations_by_region = {}
    for (_code, region, undisclosed_label), totals in country_totals.items():
        if undisclosed_label is not None:
            organisations_by_region.setdefault(region, set()).update(totals["organisations"])
    groups = disclosure.undisclosed_groups(organisations_by_region)
    cells = {}
    for (code, region, undisclosed_label), totals in country_totals.items():
        if undisclosed_label is None:
            key, block, label = (code, region), region, str(countries.name(code)) or code
        else:
            group = groups[region]
            block = region if group.level == "region" else merged_block_label()
            key, label = ("", group.label), group.label
        cell = cells.setdefault(key, {
            "country_code": key[0], "country": str(countries.name(key[0])) if key[0] else label, "label": label,
            "region": block, "undisclosed": undisclosed_label is not None,
            "catch_all": undisclosed_label is not None and groups[region].is_catch_all,
            "committed": ZERO, "disbursed": ZERO, "_grant_ids": set(), "_org_ids": set(),
        })
        cell["committed"] += totals["committed"]
        cell["disbursed"] += totals["disbursed"]
        cell["_grant_ids"] |= totals["grants"]
        cell["_org_ids"] |= totals["organisations"]
    by_block = {}
    for cell in cells.values():
        cell["grants"], cell["organisations"] = len(cell["_grant_ids"]), len(cell["_org_ids"])
        by_block.setdefault(cell["region"], []).append(cell)
    merged = merged_block_label()
    regions, rows = [], []
    for block in sorted(by_block, key=lambda name: (name == merged, name)):
        block_rows = sorted(by_block[block], key=lambda r: (r["undisclosed"], r["catch_all"], r["label"]))
        regions.append({
            "region": block,
            "rows": block_rows,
            "grants": len(set().union(*(r["_grant_ids"] for r in block_rows))),
            "organisations": len(set().union(*(r["_org_ids"] for r in block_rows))),
            "committed": sum((r["committed"] for r in block_rows), ZERO),
            "disbursed": sum((r["disbursed"] for r in block_rows), ZERO),
        })
        rows.extend(block_rows)
    return {"regions": regions, "rows": rows, "groups": groups}


def _currencies(currency_rows, base_currency):
    """Payments by currency for named grantees; one base-currency line for all undisclosed ones,
    since a currency only they were paid in would say where they are."""
    named = [row for row in currency_rows if not row["grant__organization__at_risk"]]
    hidden = [row for row in currency_rows if row["grant__organization__at_risk"]]
    rows = {}
    for row in named:
        merged = rows.setdefault(row["currency"], {"currency": row["currency"], "payments": 0, "amount": ZERO,
                                                   "base_amount": ZERO, "undisclosed": False})
        merged["payments"] += row["payments"]
        merged["amount"] += Decimal(row["amount"])
        merged["base_amount"] += Decimal(row["base_amount"])
    result = sorted(rows.values(), key=lambda r: (-r["base_amount"], r["currency"]))
    if hidden:
        result.append({
            "currency": _("Undisclosed organisations, in %(currency)s") % {"currency": base_currency},
            "payments": sum(row["payments"] for row in hidden), "amount": None,
            "base_amount": sum((Decimal(row["base_amount"]) for row in hidden), ZERO), "undisclosed": True,
        })
    return result


@functools.lru_cache(maxsize=4096)
def _country_name(code, language):
    """A country's name in the active language, looked up once (django-countries translates on every call)."""
    return str(countries.name(code)) or code


def _where(grant, groups):
    if grant["organization__at_risk"]:
        return ", ".join(sorted({groups[region_for(code)].label for code in grant["country_codes"]}))
    language = get_language()
    return ", ".join(_country_name(code, language) for code in grant["country_codes"])


def _annex_row(grant, groups, undisclosed_name=None, zone=None):
    at_risk = grant["organization__at_risk"]
    decided_on = timezone.localtime(grant["decided_at"], zone).date()
    return {
        "reference": disclosure.public_grant_reference(grant["id"]),
        "organisation": (undisclosed_name or _(disclosure.UNDISCLOSED_ORGANISATION)) if at_risk else grant["organization__name"],
        "country": _where(grant, groups),
        "decided_on": disclosure.quarter_label(decided_on) if at_risk else decided_on,
        "awarded": grant["base_amount"],
        "committed": grant["committed"],
        "disbursed": grant["disbursed"],
        "status": grant["status"],
        "undisclosed": at_risk,
    }


def _annex_order(row):
    """Named grants by country and organisation; undisclosed ones after them all, by group and
    opaque reference — so no hidden grant sits among named ones where its place could say anything."""
    if row["undisclosed"]:
        return (1, row["country"], "", "", row["reference"])
    return (0, row["country"], row["organisation"].casefold(), str(row["decided_on"]), row["reference"])


def payment_rows(payments, groups, currency):
    """Named grantees' payments one by one; undisclosed ones folded into one row per group and
    quarter, in the base currency (split by country like the country table, so rows add up)."""
    rows, folded = [], {}
    for payment in payments:
        if not payment["grant__organization__at_risk"]:
            rows.append({
                "paid_on": payment["paid_on"],
                "grant": disclosure.public_grant_reference(payment["grant_id"]),
                "organisation": payment["grant__organization__name"],
                "currency": payment["currency"],
                "amount": payment["amount"],
                "fx_rate": payment["fx_rate"],
                "base_amount": payment["base_amount"],
            })
            continue
        codes = selectors.grant_country_codes(payment["grant__application__countries"], payment["grant__organization__country"])
        for code, share in selectors.split_by_country(payment["base_amount"], codes, currency).items():
            key = (disclosure.quarter_label(payment["paid_on"]), groups[region_for(code)].label)
            folded[key] = folded.get(key, ZERO) + share
    for (quarter, label), amount in sorted(folded.items()):
        rows.append({"paid_on": quarter, "grant": "", "organisation": label, "currency": currency,
                     "amount": amount, "fx_rate": None, "base_amount": amount})
    return rows


def percentile(values, fraction):
    """Nearest-rank percentile: the smallest value with at least `fraction` of values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def rapid_response_speed(grant_rows, target_hours, period, missed_undecided=0):
    """Days from submission to decision and from decision to first payment, for awards decided in the period.

    "Decided within target" counts every application still undecided past its deadline
    (`missed_undecided`) as missed: it joins the denominator (target_counted), never the numerator.
    """
    start_at, end_before = period.start_at, period.end_before
    decided = [g for g in grant_rows if start_at <= g["decided_at"] < end_before]
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
    if target_hours and (to_decision or missed_undecided):
        within = sum(1 for days in to_decision if days * 24 <= target_hours)
        counted = len(to_decision) + missed_undecided
        speed["within_target"] = within
        speed["missed_undecided"] = missed_undecided
        speed["target_counted"] = counted
        speed["within_target_share"] = within / counted
    if to_payment:
        speed["payment_median"] = statistics.median(to_payment)
        speed["payment_p90"] = percentile(to_payment, 0.9)
    return speed
