"""Reads behind donor reports: the database groups and sums, Python only splits grants by country.

Committed = active awards decided in the period, at the base amount fixed at decision.
Disbursed = payments paid in the period (paid or reconciled: never failed, returned or cancelled),
at the base amount stored with each payment's own rate, less the unspent balances grantees sent
back (disbursements.BalanceReturn) received in the period. Period boundaries are inclusive dates.

Per-country totals are one SQL GROUP BY over each grant's countries (`fund_country_totals`), with
the split of DESIGN.md done in whole minor units by the database; `country_totals` is the same
rule in Python for grant rows already in hand (and the reference the property tests hold it to).
"""
import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import connection
from django.db.models import Count, DecimalField, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter
from django.utils import timezone

from applications.models import UNDECIDED_STATES, Application
from disbursements.models import PAID_STATES, BalanceReturn, Grant, Payment
from fundops.models import MONEY
from fundops.disclosure import undisclosed_region_label
from fundops.models import Contribution
from fundops.money import minor_units
from fundops.regions import region_for

ZERO = Decimal("0")


@dataclass(frozen=True)
class Period:
    """Inclusive dates: a payment paid on `end` and an award decided any time on `end` both count."""

    start: datetime.date
    end: datetime.date

    @property
    def start_at(self):
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_before(self):
        # The first instant after the period, so the whole of the last day is inside it.
        return timezone.make_aware(datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min))

    def __str__(self):
        return f"{self.start:%-d %B %Y} – {self.end:%-d %B %Y}"


def _paid_in(period, prefix=""):
    return Q(**{f"{prefix}state__in": PAID_STATES, f"{prefix}paid_on__gte": period.start, f"{prefix}paid_on__lte": period.end})


def _returned_in(period, prefix=""):
    return Q(**{f"{prefix}received_on__gte": period.start, f"{prefix}received_on__lte": period.end})


def _returned_base(period):
    """Per grant: the base amount of balances returned in the period (a subquery, so no join multiplies payments)."""
    returned = (
        BalanceReturn.objects.filter(_returned_in(period), grant=OuterRef("pk"))
        .order_by().values("grant").annotate(total=Sum("base_amount")).values("total")
    )
    return Coalesce(Subquery(returned), Value(ZERO), output_field=DecimalField(**MONEY))


def _decided_in(period):
    return Q(status=Grant.Status.ACTIVE, decided_at__gte=period.start_at, decided_at__lt=period.end_before)


def fund_grant_totals(*, fund, period):
    """One dict per grant with money committed or disbursed in the period, summed per grant by the database.

    Keys: id, amount, currency, base_amount, status, decided_at,
    organization_id, organization__name, organization__country, organization__at_risk,
    application__countries (raw "KE,UG"), application__submitted_at, disbursed (base, in period:
    paid less returned), committed (base, when decided in the period and active, else 0), first_paid_on (ever).
    The internal reference is not among them: nothing a donor sees can carry it (fundops.disclosure).
    """
    rows = (
        Grant.objects.filter(fund=fund)
        .annotate(
            disbursed=Sum("payments__base_amount", filter=_paid_in(period, "payments__"), default=ZERO),
            paid_in_period=Count("payments", filter=_paid_in(period, "payments__")),
            first_paid_on=Min("payments__paid_on", filter=Q(payments__state__in=PAID_STATES)),
            returned=_returned_base(period),
        )
        .filter(_decided_in(period) | Q(paid_in_period__gt=0) | Q(returned__gt=0))
        .values(
            "id", "amount", "currency", "base_amount", "status", "decided_at",
            "organization_id", "organization__name", "organization__country", "organization__at_risk",
            "application__countries", "application__submitted_at", "disbursed", "returned", "first_paid_on",
        )
        .order_by("decided_at", "id")
    )
    quantum = Decimal(1).scaleb(-minor_units(fund.base_currency))
    result = []
    start_at, end_before = period.start_at, period.end_before
    for row in rows:
        decided_in_period = row["status"] == Grant.Status.ACTIVE and start_at <= row["decided_at"] < end_before
        row["committed"] = row["base_amount"] if decided_in_period else ZERO
        # Sums of stored base amounts are exact; SQLite hands them back through a float, so re-quantise.
        row["disbursed"] = (Decimal(row["disbursed"] or 0) - Decimal(row["returned"] or 0)).quantize(quantum)
        row["country_codes"] = grant_country_codes(row["application__countries"], row["organization__country"])
        result.append(row)
    return result


def fund_overdue_undecided_count(*, fund, period, now=None):
    """Applications whose decision deadline passed in the period (and before now) with no decision
    yet: the donor report counts each as a missed target, so waiting longer never looks faster."""
    now = now or timezone.now()
    return Application.objects.filter(
        fund=fund,
        state__in=UNDECIDED_STATES,
        decision_deadline__gte=period.start_at,
        decision_deadline__lt=min(period.end_before, now),
    ).count()


def grant_country_codes(application_countries, organization_country):
    """The countries of work (sorted ISO codes), else the organisation's own country (DESIGN.md)."""
    if isinstance(application_countries, str):
        codes = [c for c in application_countries.split(",") if c]
    else:
        codes = [getattr(c, "code", c) for c in application_countries or []]
    codes = sorted({str(c).upper() for c in codes})
    return codes or [str(getattr(organization_country, "code", organization_country)).upper()]


def split_by_country(amount, country_codes, currency):
    """Split `amount` equally between countries: each share rounded down to the minor unit,
    the remainder to the first country in ISO-code order, so the shares add up to `amount` exactly."""
    codes = sorted(set(country_codes))
    quantum = Decimal(1).scaleb(-minor_units(currency))
    # Rounding down keeps the remainder non-negative: the first country gets the leftover cents.
    share = (Decimal(amount) / len(codes)).quantize(quantum, rounding=ROUND_DOWN)
    shares = dict.fromkeys(codes, share)
    shares[codes[0]] += Decimal(amount) - share * len(codes)
    return shares


def country_key(code, at_risk):
    """A row of the country table: a country, or for at-risk grantees only their region."""
    region = region_for(code)
    if at_risk:
        return ("", region, undisclosed_region_label(region))
    return (code, region, None)


def country_totals(grant_rows, currency):
    """Per-country rows from per-grant rows: {(code, region, undisclosed label): totals}.

    At-risk grantees' shares land in "<Region> — undisclosed countries" rows, never a country.
    """
    rows = {}
    for grant in grant_rows:
        committed = split_by_country(grant["committed"], grant["country_codes"], currency)
        disbursed = split_by_country(grant["disbursed"], grant["country_codes"], currency)
        for code in grant["country_codes"]:
            key = country_key(code, grant["organization__at_risk"])
            row = rows.setdefault(key, {"committed": ZERO, "disbursed": ZERO, "grants": set(), "organisations": set()})
            row["committed"] += committed[code]
            row["disbursed"] += disbursed[code]
            row["grants"].add(grant["id"])
            row["organisations"].add(grant["organization_id"])
    return rows


def fund_monthly_disbursed(*, fund, period, by="month"):
    """[(first day of month — or of quarter, by="quarter" — base amount disbursed, payments)] in order.

    A balance returned is taken off the month (or quarter) it was received in.
    """
    trunc = TruncQuarter if by == "quarter" else TruncMonth
    paid = (
        Payment.objects.filter(_paid_in(period), grant__fund=fund)
        .annotate(month=trunc("paid_on"))
        .values("month")
        .annotate(total=Sum("base_amount"), payments=Count("id"))
        .order_by("month")
    )
    returned = (
        BalanceReturn.objects.filter(_returned_in(period), grant__fund=fund)
        .annotate(month=trunc("received_on"))
        .values("month")
        .annotate(total=Sum("base_amount"))
        .order_by("month")
    )
    months = {row["month"]: [Decimal(row["total"]), row["payments"]] for row in paid}
    for row in returned:
        months.setdefault(row["month"], [ZERO, 0])[0] -= Decimal(row["total"])
    quantum = Decimal(1).scaleb(-minor_units(fund.base_currency))
    return [(month, total.quantize(quantum), count) for month, (total, count) in sorted(months.items())]


def fund_currency_totals(*, fund, period):
    """Payments in the period by the currency they were paid in and whether the grantee is at risk:
    count, amount paid, base amount — less the balances returned in the period in that currency."""
    rows = {
        (row["currency"], row["grant__organization__at_risk"]): row
        for row in Payment.objects.filter(_paid_in(period), grant__fund=fund)
        .values("currency", "grant__organization__at_risk")
        .annotate(payments=Count("id"), amount=Sum("amount"), base_amount=Sum("base_amount"))
        .order_by()
    }
    returned = (
        BalanceReturn.objects.filter(_returned_in(period), grant__fund=fund)
        .values("currency", "grant__organization__at_risk")
        .annotate(amount=Sum("amount"), base_amount=Sum("base_amount"))
        .order_by()
    )
    for back in returned:
        row = rows.setdefault((back["currency"], back["grant__organization__at_risk"]), {
            "currency": back["currency"], "grant__organization__at_risk": back["grant__organization__at_risk"],
            "payments": 0, "amount": ZERO, "base_amount": ZERO,
        })
        row["amount"] = Decimal(row["amount"]) - Decimal(back["amount"])
        row["base_amount"] = Decimal(row["base_amount"]) - Decimal(back["base_amount"])
    return sorted(rows.values(), key=lambda row: (-Decimal(row["base_amount"]), row["currency"]))


def fund_donor_contributions(*, fund, until):
    """Money each donor has given the fund up to `until`: received and still pledged, in base currency."""
    received = Q(status=Contribution.Status.RECEIVED, received_on__lte=until)
    return list(
        Contribution.objects.filter(fund=fund)
        .values("donor_id", "donor__name", "donor__slug")
        .annotate(
            received=Sum("base_amount", filter=received, default=ZERO),
            pledged=Sum("base_amount", filter=Q(status=Contribution.Status.PLEDGED), default=ZERO),
            contributions=Count("id"),
        )
        .order_by("-received", "donor__name")
    )


def fund_payments(*, fund, period):
    """Every payment paid in the period with what a donor may see of its grant, and every balance
    returned in the period as a negative line (state "balance_returned") on the day it came back."""
    fields = ("currency", "amount", "fx_rate", "base_amount", "grant_id", "grant__organization__name",
              "grant__organization__at_risk", "grant__application__countries", "grant__organization__country")
    payments = list(
        Payment.objects.filter(_paid_in(period), grant__fund=fund)
        .values("id", "paid_on", "state", *fields)
        .order_by("paid_on", "id")
    )
    returns = [
        {**row, "paid_on": row.pop("received_on"), "state": "balance_returned",
         "amount": -Decimal(row["amount"]), "base_amount": -Decimal(row["base_amount"])}
        for row in BalanceReturn.objects.filter(_returned_in(period), grant__fund=fund)
        .values("id", "received_on", *fields)
        .order_by("received_on", "id")
    ]
    if not returns:
        return payments
    return sorted(payments + returns, key=lambda row: (row["paid_on"], row["state"] == "balance_returned", row["id"]))


def donor_funds(*, donor):
    """The funds a donor has contributed to: the only ones whose reports they may see."""
    from fundops.models import Fund

    if donor is None:
        return Fund.objects.none()
    return Fund.objects.filter(contributions__donor=donor).distinct().order_by("name")


def report_requests_for(*, fund, donor=None):
    """A fund's report requests; a donor sees only their own donor's."""
    from .models import ReportRequest

    requests = ReportRequest.objects.filter(fund=fund).select_related("donor", "requested_by")
    return requests.filter(donor=donor) if donor is not None else requests


# Per-country totals in the database -------------------------------------------------------------


def _fund_grant_cents(*, fund, period):
    """SQL and parameters for the grants with money in the period, one row each, amounts in whole
    minor units of the base currency: (id, org, at_risk, codes "KE,UG", org_country, committed_c,
    disbursed_c). Payments and returns are summed once per grant and hash-joined, not looked up per row."""
    ops = connection.ops
    scale = int(10 ** minor_units(fund.base_currency))
    tables = {
        "grant": Grant._meta.db_table, "payment": Payment._meta.db_table, "back": BalanceReturn._meta.db_table,
        "org": Grant._meta.get_field("organization").related_model._meta.db_table,
        "application": Grant._meta.get_field("application").related_model._meta.db_table,
    }
    # Each stored base amount is exact to the minor unit. PostgreSQL sums numeric exactly and turns the
    # sum into whole minor units once; SQLite keeps REAL columns, so each amount becomes whole first.
    cents = "CAST(ROUND({column} * %d) AS BIGINT)" % scale
    summed = ("CAST(ROUND(SUM({column}) * %d) AS BIGINT)" % scale if connection.vendor == "postgresql"
              else "SUM(CAST(ROUND({column} * %d) AS BIGINT))" % scale)
    decided = "(g.status = %s AND g.decided_at >= %s AND g.decided_at < %s)"
    sql = f"""
        SELECT g.id, g.organization_id AS org, o.at_risk, a.countries AS codes, o.country AS org_country,
               CASE WHEN {decided} THEN {cents.format(column="g.base_amount")} ELSE 0 END AS committed_c,
               CAST(COALESCE(p.total, 0) - COALESCE(r.total, 0) AS BIGINT) AS disbursed_c
        FROM {tables["grant"]} g
        JOIN {tables["org"]} o ON o.id = g.organization_id
        JOIN {tables["application"]} a ON a.id = g.application_id
        LEFT JOIN (
            SELECT p.grant_id, {summed.format(column="p.base_amount")} AS total
            FROM {tables["payment"]} p JOIN {tables["grant"]} pg ON pg.id = p.grant_id
            WHERE pg.fund_id = %s AND p.state IN ({", ".join(["%s"] * len(PAID_STATES))})
              AND p.paid_on >= %s AND p.paid_on <= %s
            GROUP BY p.grant_id
        ) p ON p.grant_id = g.id
        LEFT JOIN (
            SELECT r.grant_id, {summed.format(column="r.base_amount")} AS total
            FROM {tables["back"]} r JOIN {tables["grant"]} rg ON rg.id = r.grant_id
            WHERE rg.fund_id = %s AND r.received_on >= %s AND r.received_on <= %s
            GROUP BY r.grant_id
        ) r ON r.grant_id = g.id
        WHERE g.fund_id = %s AND ({decided} OR p.grant_id IS NOT NULL OR r.grant_id IS NOT NULL)
    """
    start_at, end_before = ops.adapt_datetimefield_value(period.start_at), ops.adapt_datetimefield_value(period.end_before)
    start, end = ops.adapt_datefield_value(period.start), ops.adapt_datefield_value(period.end)
    decided_params = [str(Grant.Status.ACTIVE), start_at, end_before]
    params = [
        *decided_params,
        fund.pk, *[str(state) for state in PAID_STATES], start, end,
        fund.pk, start, end,
        fund.pk, *decided_params,
    ]
    return sql, params


# django-countries stores a grant's countries unique, upper-case and sorted ("KE,TZ,UG"; the field's
# get_prep_value cleans every write, bulk ones too), so the first in the list is the first by ISO code.
_COUNTRY_TOTALS_SQL = """
WITH grants AS ({grants}),
codes AS (
    SELECT g.id, g.org, g.at_risk, g.committed_c, g.disbursed_c, {code} AS code, {position} AS pos, {count} AS n
    FROM grants g, {unnest}
)
SELECT code, at_risk,
       SUM(CASE WHEN pos = 1 THEN committed_c - (n - 1) * (committed_c / n) ELSE committed_c / n END),
       SUM(CASE WHEN pos = 1 THEN disbursed_c - (n - 1) * (disbursed_c / n) ELSE disbursed_c / n END),
       {agg_ids}, {agg_orgs}
FROM codes GROUP BY code, at_risk
"""
_WHERE = "CASE WHEN COALESCE(g.codes, '') = '' THEN g.org_country ELSE g.codes END"
_VENDOR_SQL = {
    # PostgreSQL splits "KE,UG" into an array and unnests it with each code's place…
    "postgresql": {
        "unnest": f"UNNEST(STRING_TO_ARRAY({_WHERE}, ',')) WITH ORDINALITY AS c(code, pos)",
        "code": "c.code", "position": "c.pos", "count": f"CARDINALITY(STRING_TO_ARRAY({_WHERE}, ','))",
        "agg_ids": "STRING_AGG(id::text, ',')", "agg_orgs": "STRING_AGG(org::text, ',')",
    },
    # …SQLite reads it as a JSON array with json_each (key: the place, from 0).
    "sqlite": {
        "unnest": f"json_each('[\"' || REPLACE({_WHERE}, ',', '\",\"') || '\"]') AS c",
        "code": "c.value", "position": "c.key + 1",
        "count": f"LENGTH({_WHERE}) - LENGTH(REPLACE({_WHERE}, ',', '')) + 1",
        "agg_ids": "GROUP_CONCAT(id)", "agg_orgs": "GROUP_CONCAT(org)",
    },
}


def fund_country_totals(*, fund, period):
    """Per-country totals computed by the database in one GROUP BY over every grant's countries.

    Returns what `country_totals` returns for the same grants — {(code, region, undisclosed label):
    {"committed", "disbursed", "grants": {ids}, "organisations": {ids}}} — with each grant split
    equally between its countries in whole minor units (integer division truncates like ROUND_DOWN)
    and the remainder on the first country by ISO code (DESIGN.md), so rows add up to the cent.
    At-risk grantees' shares land in their region's undisclosed row, never a country.
    """
    grants_sql, params = _fund_grant_cents(fund=fund, period=period)
    sql = _COUNTRY_TOTALS_SQL.format(grants=grants_sql, **_VENDOR_SQL[connection.vendor])
    places = minor_units(fund.base_currency)
    rows = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for code, at_risk, committed_c, disbursed_c, grant_ids, org_ids in cursor.fetchall():
            key = country_key(code, bool(at_risk))
            row = rows.setdefault(key, {"committed": ZERO, "disbursed": ZERO, "grants": set(), "organisations": set()})
            row["committed"] += Decimal(int(committed_c)).scaleb(-places)
            row["disbursed"] += Decimal(int(disbursed_c)).scaleb(-places)
            row["grants"].update(map(int, str(grant_ids).split(",")))
            row["organisations"].update(map(int, str(org_ids).split(",")))  # a set: each organisation once
    return rows
