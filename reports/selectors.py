"""Reads behind donor reports: the database groups and sums, Python only splits grants by country.

Committed = active awards decided in the period, at the base amount fixed at decision.
Disbursed = payments paid in the period (paid or reconciled: never failed, returned or cancelled),
at the base amount stored with each payment's own rate. Period boundaries are inclusive dates.
"""
import datetime
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter
from django.utils import timezone

from applications.models import UNDECIDED_STATES, Application
from disbursements.models import PAID_STATES, Grant, Payment
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


def _decided_in(period):
    return Q(status=Grant.Status.ACTIVE, decided_at__gte=period.start_at, decided_at__lt=period.end_before)


def fund_grant_totals(*, fund, period):
    """One dict per grant with money committed or disbursed in the period, summed per grant by the database.

    Keys: id, amount, currency, base_amount, status, decided_at,
    organization_id, organization__name, organization__country, organization__at_risk,
    application__countries (raw "KE,UG"), application__submitted_at, disbursed (base, in period),
    committed (base, when decided in the period and active, else 0), first_paid_on (ever).
    The internal reference is not among them: nothing a donor sees can carry it (fundops.disclosure).
    """
    rows = (
        Grant.objects.filter(fund=fund)
        .annotate(
            disbursed=Sum("payments__base_amount", filter=_paid_in(period, "payments__"), default=ZERO),
            paid_in_period=Count("payments", filter=_paid_in(period, "payments__")),
            first_paid_on=Min("payments__paid_on", filter=Q(payments__state__in=PAID_STATES)),
        )
        .filter(_decided_in(period) | Q(paid_in_period__gt=0))
        .values(
            "id", "amount", "currency", "base_amount", "status", "decided_at",
            "organization_id", "organization__name", "organization__country", "organization__at_risk",
            "application__countries", "application__submitted_at", "disbursed", "first_paid_on",
        )
        .order_by("decided_at", "id")
    )
    quantum = Decimal(1).scaleb(-minor_units(fund.base_currency))
    result = []
    for row in rows:
        decided_in_period = row["status"] == Grant.Status.ACTIVE and period.start_at <= row["decided_at"] < period.end_before
        row["committed"] = row["base_amount"] if decided_in_period else ZERO
        # Sums of stored base amounts are exact; SQLite hands them back through a float, so re-quantise.
        row["disbursed"] = Decimal(row["disbursed"] or 0).quantize(quantum)
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
    """[(first day of month — or of quarter, by="quarter" — base amount disbursed, payments)] in order."""
    trunc = TruncQuarter if by == "quarter" else TruncMonth
    rows = (
        Payment.objects.filter(_paid_in(period), grant__fund=fund)
        .annotate(month=trunc("paid_on"))
        .values("month")
        .annotate(total=Sum("base_amount"), payments=Count("id"))
        .order_by("month")
    )
    return [(row["month"], row["total"], row["payments"]) for row in rows]


def fund_currency_totals(*, fund, period):
    """Payments in the period by the currency they were paid in and whether the grantee is at risk:
    count, amount paid, base amount."""
    return list(
        Payment.objects.filter(_paid_in(period), grant__fund=fund)
        .values("currency", "grant__organization__at_risk")
        .annotate(payments=Count("id"), amount=Sum("amount"), base_amount=Sum("base_amount"))
        .order_by("-base_amount", "currency")
    )


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
    """Every payment paid in the period with what a donor may see of its grant."""
    return list(
        Payment.objects.filter(_paid_in(period), grant__fund=fund)
        .values(
            "id", "paid_on", "currency", "amount", "fx_rate", "base_amount", "state", "grant_id",
            "grant__organization__name", "grant__organization__at_risk",
            "grant__application__countries", "grant__organization__country",
        )
        .order_by("paid_on", "id")
    )


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
