"""Reads about awards and payments that the finance pages, the dashboard and reports share.

The database sums; stored base amounts are added up as they are (never re-converted).
"""
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from fundops.models import Contribution
from fundops.money import quantize

from .models import PAID_STATES, PENDING_OR_PAID, BalanceReturn, Grant, Payment, PaymentState, StatementLine, Tranche

ZERO = Decimal("0")


def _q(value, currency):
    # SQLite returns decimal sums through a float; amounts are stored quantised, so re-quantise.
    return quantize(Decimal(value or 0), currency)


@dataclass
class FundPosition:
    currency: str
    pledged: Decimal  # every contribution, pledged or received (money mobilised)
    received: Decimal
    committed: Decimal  # awards less what cancellation released
    disbursed: Decimal  # payments paid or reconciled, less balances returned, at their own stored rates
    available: Decimal  # received - committed: what new awards may use
    grants: int
    active_grants: int
    paid_by_currency: list = field(default_factory=list)  # [{currency, amount, base_amount, payments}]
    returned: Decimal = ZERO  # unspent balances grantees sent back (already taken off `disbursed`)

    @property
    def outstanding_pledges(self):
        return self.pledged - self.received

    @property
    def undisbursed_commitments(self):
        return self.committed - self.disbursed


def fund_position(*, fund):
    """The fund's money in its base currency: mobilised, committed, disbursed, available."""
    return fund_positions(funds=[fund])[fund.pk]


def fund_positions(*, funds):
    """{fund pk: FundPosition} for many funds in four grouped queries, whatever their number
    (the finance funds page; benchmarks/bench_pages.py)."""
    funds = list(funds)
    ids = [fund.pk for fund in funds]
    money = {
        row["fund_id"]: row for row in Contribution.objects.filter(fund_id__in=ids).values("fund_id").annotate(
            pledged=Sum("base_amount", default=ZERO),
            received=Sum("base_amount", filter=Q(status=Contribution.Status.RECEIVED), default=ZERO),
        ).order_by()
    }
    grants = {
        row["fund_id"]: row for row in Grant.objects.filter(fund_id__in=ids).values("fund_id").annotate(
            committed=Sum(F("base_amount") - F("released_base_amount"), default=ZERO),
            grants=Count("id"),
            active=Count("id", filter=Q(status=Grant.Status.ACTIVE)),
        ).order_by()
    }
    # Paid per fund and currency in one pass; the fund's disbursed total is the sum of its rows.
    paid = {}
    for row in (Payment.objects.filter(grant__fund_id__in=ids, state__in=PAID_STATES)
                .values("grant__fund_id", "currency")
                .annotate(amount=Sum("amount"), base_amount=Sum("base_amount"), payments=Count("id"))
                .order_by("grant__fund_id", "currency")):
        paid.setdefault(row.pop("grant__fund_id"), []).append(row)
    returned = dict(BalanceReturn.objects.filter(grant__fund_id__in=ids).values("grant__fund_id")
                    .annotate(total=Sum("base_amount", default=ZERO)).values_list("grant__fund_id", "total").order_by())
    positions = {}
    for fund in funds:
        base = fund.base_currency
        fund_money = money.get(fund.pk, {})
        fund_grants = grants.get(fund.pk, {})
        rows = paid.get(fund.pk, [])
        disbursed = sum((Decimal(row["base_amount"] or 0) for row in rows), ZERO)
        per_currency = [
            {**row, "amount": _q(row["amount"], row["currency"]), "base_amount": _q(row["base_amount"], base)}
            for row in rows
        ]
        back = returned.get(fund.pk)
        received, committed = _q(fund_money.get("received"), base), _q(fund_grants.get("committed"), base)
        positions[fund.pk] = FundPosition(
            currency=base,
            pledged=_q(fund_money.get("pledged"), base),
            received=received,
            committed=committed,
            # A returned balance is money that came back: it no longer counts as paid out.
            disbursed=_q(disbursed, base) - _q(back, base),
            returned=_q(back, base),
            available=received - committed,
            grants=fund_grants.get("grants", 0),
            active_grants=fund_grants.get("active", 0),
            paid_by_currency=per_currency,
        )
    return positions


def grant_paid_total(*, grant):
    """Amount paid (paid or reconciled), in the grant's currency."""
    return _q(grant.payments.filter(state__in=PAID_STATES).aggregate(t=Sum("amount"))["t"], grant.currency)


def grant_pending_total(*, grant):
    """Amount scheduled or approved but not yet paid, in the grant's currency."""
    pending = [PaymentState.SCHEDULED, PaymentState.APPROVED]
    return _q(grant.payments.filter(state__in=pending).aggregate(t=Sum("amount"))["t"], grant.currency)


def grant_returned_total(*, grant):
    """Unspent balance the grantee sent back, in the grant's currency."""
    return _q(grant.balance_returns.aggregate(t=Sum("amount"))["t"], grant.currency)


def grant_summary(*, grant):
    paid = grant_paid_total(grant=grant)
    pending = grant_pending_total(grant=grant)
    return {"paid": paid, "pending": pending, "unscheduled": grant.amount - paid - pending}


def grant_tranches(*, grant):
    """Tranches with what is paid and pending on each (summed by the database)."""
    rows = grant.tranches.annotate(
        paid=Sum("payments__amount", filter=Q(payments__state__in=PAID_STATES), default=ZERO),
        committed=Sum("payments__amount", filter=Q(payments__state__in=PENDING_OR_PAID), default=ZERO),
    ).order_by("number")
    result = []
    for tranche in rows:
        tranche.paid = _q(tranche.paid, grant.currency)
        tranche.left_to_schedule = tranche.amount - _q(tranche.committed, grant.currency)
        result.append(tranche)
    return result


def tranches_due_queryset():
    """Open tranches of active awards with something left to schedule, earliest due first."""
    return (
        Tranche.objects.filter(
            status=Tranche.Status.OPEN, grant__status=Grant.Status.ACTIVE,
            grant__application__state__in=["approved", "disbursing"],
        )
        .annotate(committed=Sum("payments__amount", filter=Q(payments__state__in=PENDING_OR_PAID), default=ZERO))
        .filter(committed__lt=F("amount"))
        .select_related("grant", "grant__organization", "grant__fund")
        .order_by("due_on", "grant__reference", "number")
    )


def with_left_to_schedule(tranches):
    """Set `.left` on each tranche of a page from its annotated committed sum."""
    for tranche in tranches:
        tranche.left = tranche.amount - _q(tranche.committed, tranche.grant.currency)
    return tranches


def tranches_due(*, limit=200):
    return with_left_to_schedule(list(tranches_due_queryset()[:limit]))


def payments_queryset(*, states, scheduled_by=None, exclude_scheduled_by=None):
    queryset = Payment.objects.filter(state__in=states).select_related(
        "grant", "grant__organization", "grant__fund", "tranche", "scheduled_by", "approved_by", "payout_account",
    )
    if scheduled_by is not None:
        queryset = queryset.filter(scheduled_by=scheduled_by)
    if exclude_scheduled_by is not None:
        queryset = queryset.exclude(scheduled_by=exclude_scheduled_by)
    return queryset.order_by("scheduled_at", "pk")


def payments_in(*, states, scheduled_by=None, exclude_scheduled_by=None, limit=200):
    return payments_queryset(states=states, scheduled_by=scheduled_by, exclude_scheduled_by=exclude_scheduled_by)[:limit]


def unmatched_statement_lines(*, limit=200):
    return StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).select_related("statement").order_by(
        "-statement__uploaded_at", "line_number"
    )[:limit]


def unmatched_statement_count():
    return StatementLine.objects.filter(status=StatementLine.Status.UNMATCHED).count()


def payout_defaults(payment):
    """What the payout form starts with: paid today, at the award's own rate (the rate fixed at
    approval, base-currency units for one unit of the payment's currency). The finance officer
    changes either when the bank used another."""
    return {"paid_on": timezone.localdate(), "fx_rate": payment.grant.fx_rate}
