"""Unspent balances a grantee sends back: recorded once per bank reference, never more than what
was paid and not yet returned; the money stops counting as disbursed and its commitment goes back
to the fund. Upper apps (grantee reports) hear of it through hooks.AFTER_BALANCE_RETURN."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops.money import format_money, to_base

from .. import hooks
from ..models import PAID_STATES, BalanceReturn
from ._common import ZERO, _audit_event, _locked_grant, _parse_money, _parse_rate, _require, _require_finance, _sum
from .payments import _clean_reference


def grant_returned(grant):
    """What the grantee sent back, in the grant's currency."""
    return _sum(BalanceReturn.objects.filter(grant=grant), "amount")


@transaction.atomic
def balance_return_record(*, grant, by, amount, received_on, reference, fx_rate=None, fx_date=None, note=""):
    """Record an unspent balance coming back (finance officers only). The same bank reference
    recorded again returns the first record and changes nothing. `fx_rate` defaults to the award's
    own rate (base-currency units for one unit of the grant's currency)."""
    _require_finance(by)
    reference = _clean_reference(reference)
    grant = _locked_grant(grant.pk)
    earlier = BalanceReturn.objects.filter(reference=reference).select_related("grant").first()
    if earlier is not None:
        _require(
            earlier.grant_id == grant.pk,
            _("Bank reference %(reference)s is already recorded for %(grant)s.")
            % {"reference": reference, "grant": earlier.grant.reference},
            "reference",
        )
        return earlier
    amount = _parse_money(amount, grant.currency, "amount")
    _require(received_on is not None, _("Enter the date the money arrived."), "received_on")
    _require(received_on <= timezone.localdate(), _("The date the money arrived cannot be in the future."), "received_on")
    base_currency = grant.fund.base_currency
    if fx_rate in (None, "") and grant.currency != base_currency:
        fx_rate = grant.fx_rate
    rate = _parse_rate(fx_rate, currency=grant.currency, base_currency=base_currency)
    paid = _sum(grant.payments.filter(state__in=PAID_STATES), "amount")
    returnable = paid - grant_returned(grant)
    _require(
        amount <= returnable,
        _("Only %(left)s was paid and not yet returned; this return is %(amount)s.")
        % {"left": format_money(max(returnable, ZERO), grant.currency), "amount": format_money(amount, grant.currency)},
        "amount",
    )
    base_amount = to_base(amount, rate, base_currency)
    try:
        with transaction.atomic():
            balance = BalanceReturn.objects.create(
                grant=grant, amount=amount, currency=grant.currency, fx_rate=rate, fx_date=fx_date or received_on,
                base_amount=base_amount, received_on=received_on, reference=reference, note=(note or "").strip(),
                recorded_by=by,
            )
    except IntegrityError:
        raise ValidationError({"reference": [_("Bank reference %(reference)s is already recorded.") % {"reference": reference}]})
    # The money is the fund's again: what the award still commits shrinks by what came back.
    grant.released_base_amount = min(grant.released_base_amount + base_amount, grant.base_amount)
    grant.save(update_fields=["released_base_amount"])
    _audit_event(
        grant, "balance_return", by=by,
        note=_("Balance returned: %(amount)s, bank reference %(reference)s")
        % {"amount": format_money(amount, grant.currency), "reference": reference},
    )
    hooks.run(hooks.AFTER_BALANCE_RETURN, grant)
    return balance


