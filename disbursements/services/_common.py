"""What every disbursements service shares: the checks, the audit row, the locks (taken in one
fixed order — the fund, then the grant, then the payment — so two people acting at once wait for
each other, never deadlock) and the reading of amounts and rates."""
from decimal import Decimal
from typing import NamedTuple

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.urls import reverse

from fundops import roles
from fundops.audit import transition_with_audit
from fundops.models import AuditEntry, Fund
from fundops.money import MoneyError, minor_units, parse_decimal, quantize

from ..models import Grant, Payment

IMPORTED_NOTE = "imported"
ZERO = Decimal("0")
ONE_HUNDRED = Decimal("100")


class PaymentRecorded(NamedTuple):
    """What `payment_record` did: the payment, and whether this reference was already recorded."""

    payment: Payment
    already_recorded: bool


# Helpers ------------------------------------------------------------------------------


def _sum(queryset, field):
    # SQLite sums decimals through floats; every stored amount is already quantised, so the
    # exact total is the sum re-quantised to the column's four places.
    total = queryset.aggregate(total=Sum(field, default=ZERO))["total"]
    return Decimal(total).quantize(Decimal("0.0001"))


def _require(condition, message, field=None):
    if not condition:
        raise ValidationError({field: [message]} if field else message)


def _require_finance(by):
    if not roles.is_finance_officer(by):
        raise PermissionDenied("Only finance officers handle payments.")


def _audit(obj, transition, *, by, note="", actor=None, at=None, **kwargs):
    """Run the transition with its audit row. `actor` overrides whom the row names (when the
    permission was checked by the service itself, e.g. imports, or a program officer's cancel)."""
    if actor is None:
        return transition_with_audit(obj=obj, transition=transition, by=by, note=note, **kwargs)
    entry = transition_with_audit(obj=obj, transition=transition, by=None, note=note, **kwargs)
    entry.actor = actor
    if at is not None:
        entry.at = at
    entry.save(update_fields=["actor", "at"])
    return entry


def _locked_fund(fund_id):
    return Fund.objects.select_for_update().get(pk=fund_id)


def _locked_grant(grant_id):
    return Grant.objects.select_for_update().select_related("fund", "application", "organization").get(pk=grant_id)


def _fresh(obj):
    """Reload a row the caller already locked (through its grant), so we act on what is committed."""
    obj.refresh_from_db()
    return obj


def _parse_money(value, currency, field):
    try:
        amount = parse_decimal(value)
    except MoneyError as error:
        raise ValidationError({field: [str(error)]})
    if amount <= 0:
        raise ValidationError({field: ["Enter an amount greater than zero."]})
    if quantize(amount, currency) != amount:
        places = minor_units(currency)
        raise ValidationError(
            {field: [f"{currency} amounts have {places} decimal place{'s' if places != 1 else ''} at most."]}
        )
    return amount


def _parse_rate(value, *, currency, base_currency, field="fx_rate"):
    if currency == base_currency:
        # Same currency: nothing to convert; a rate other than 1 would be a typing error.
        if value in (None, "") or parse_decimal(value) == 1:
            return Decimal("1")
        raise ValidationError({field: [f"The amount is in {base_currency}, the fund's own currency: the rate is 1."]})
    if value in (None, ""):
        raise ValidationError({field: [f"Enter the rate used: how many {base_currency} for one {currency}."]})
    try:
        rate = parse_decimal(value)
    except MoneyError as error:
        raise ValidationError({field: [str(error)]})
    if rate <= 0:
        raise ValidationError({field: ["An exchange rate must be a positive number."]})
    return rate



def _grant_url(grant):
    return reverse("disbursements:grant_detail", args=[grant.application_id])


def _locked_payment(payment):
    """Lock the grant (the order every payment write uses), then read the payment as committed."""
    grant = _locked_grant(payment.grant_id)
    payment = Payment.objects.select_for_update().select_related("tranche").get(pk=payment.pk)
    payment.grant = grant
    return grant, payment


def _audit_event(obj, event, *, by, note="", from_state="", to_state=""):
    """An audit row for a change that is not a state-machine transition (a hold, a returned
    balance, an account verified): who, what, when, in the same transaction as the change."""
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk, actor=by,
        transition=event, from_state=from_state, to_state=to_state, note=note,
    )
