"""Awards: the fund's available money, the tranche split, approving and cancelling a grant,
holding a tranche back until what it waits for has happened.

3. committed never exceeds received: `grant_approve` locks the fund row before it sums;
7. tranches sum exactly to the award: `tranche_split`, remainder on the last tranche.
"""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, State
from applications.services import application_notice_context, notify_each
from fundops import roles
from fundops.audit import TransitionNotAllowed
from fundops.models import Contribution
from fundops.money import CURRENCIES, MoneyError, format_money, minor_units, parse_decimal, quantize, to_base
from fundops.notifications import kinds
from fundops.notifications.recipients import finance_officers, organisation_users

from .. import hooks
from ..models import PAID_STATES, Grant, PaymentState, Tranche
from ._common import (
    IMPORTED_NOTE, ONE_HUNDRED, ZERO, _audit, _audit_event, _grant_url, _locked_fund, _locked_grant, _parse_money, _parse_rate,
    _require, _sum,
)
from .payments import _payment_create

# Funds --------------------------------------------------------------------------------


def fund_available(*, fund):
    """Received contributions minus commitments, in the base currency (call with the fund locked
    when about to commit). A grant commits its base amount less what was released on cancellation,
    so a cancelled grant still counts what it disbursed."""
    received = _sum(Contribution.objects.filter(fund=fund, status=Contribution.Status.RECEIVED), "base_amount")
    committed = _sum(Grant.objects.filter(fund=fund), F("base_amount") - F("released_base_amount"))
    return received - committed


# Tranches -----------------------------------------------------------------------------


def tranche_split(*, amount, currency, plan=None):
    """The tranches of an award: [(amount, due_on)], summing exactly to `amount`.

    plan: None or {"mode": "single", "due_on": date} — one upfront payment (the rapid-response default);
          {"mode": "percent", "parts": [(percent, due_on), ...]} — percentages adding up to 100;
          {"mode": "amount", "parts": [(amount, due_on), ...]} — amounts adding up to the award.
    Each share is quantised to the currency's minor unit (ROUND_HALF_EVEN); the rounding
    remainder goes on the last tranche (invariant 7).
    """
    amount = _parse_money(amount, currency, "amount")
    plan = plan or {"mode": "single"}
    mode = plan.get("mode", "single")
    if mode == "single":
        return [(amount, plan.get("due_on") or timezone.localdate())]
    parts = list(plan.get("parts") or [])
    if not parts:
        raise ValidationError({"tranche_plan": ["Give at least one tranche."]})
    errors = []
    values = []
    for number, (value, due_on) in enumerate(parts, start=1):
        try:
            value = parse_decimal(value)
        except MoneyError as error:
            errors.append(f"Tranche {number}: {error}")
            continue
        if value <= 0:
            errors.append(f"Tranche {number}: enter a number greater than zero.")
        if due_on is None:
            errors.append(f"Tranche {number}: give a due date.")
        values.append((value, due_on))
    if errors:
        raise ValidationError({"tranche_plan": errors})
    dates = [due_on for _, due_on in values]
    if dates != sorted(dates):
        raise ValidationError({"tranche_plan": ["Due dates must run in order: each tranche on or after the one before."]})

    if mode == "percent":
        total = sum(value for value, _ in values)
        if total != ONE_HUNDRED:
            raise ValidationError({"tranche_plan": [f"Percentages add up to {total:g}%, not 100%."]})
        shares = [quantize(amount * value / ONE_HUNDRED, currency) for value, _ in values[:-1]]
    elif mode == "amount":
        for number, (value, _) in enumerate(values, start=1):
            if quantize(value, currency) != value:
                errors.append(f"Tranche {number}: {currency} amounts have {minor_units(currency)} decimal places at most.")
        if errors:
            raise ValidationError({"tranche_plan": errors})
        total = sum(value for value, _ in values)
        if total != amount:
            raise ValidationError(
                {"tranche_plan": [f"Tranches add up to {format_money(total, currency)}, not the award of {format_money(amount, currency)}."]}
            )
        shares = [value for value, _ in values[:-1]]
    else:
        raise ValidationError({"tranche_plan": [f"Unknown tranche plan “{mode}”."]})

    shares.append(amount - sum(shares))
    too_small = [str(n) for n, share in enumerate(shares, start=1) if share <= 0]
    if too_small:
        raise ValidationError(
            {"tranche_plan": [f"Tranche {', '.join(too_small)} would be {currency} 0 or less: give it a larger share."]}
        )
    return [(share, due_on) for share, (_, due_on) in zip(shares, values)]


# Awards -------------------------------------------------------------------------------


def _next_reference(fund, year):
    """<prefix>-<year>-<NNN>, numbered per fund and year. The caller holds the fund lock, so two
    approvals cannot take the same number."""
    stem = f"{fund.grant_ref_prefix}-{year}-"
    last = (
        Grant.objects.filter(fund=fund, reference__startswith=stem)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last[len(stem):]) + 1 if last and last[len(stem):].isdigit() else 1
    return f"{stem}{number:03d}"


def _check_against_request(application, *, amount, currency, base_amount, base_currency):
    requested, requested_currency = application.requested_amount, application.requested_currency or base_currency
    if requested is None:
        return
    if currency == requested_currency:
        _require(
            amount <= requested,
            f"The award is more than the {format_money(requested, requested_currency)} requested.",
            "amount",
        )
    elif requested_currency == base_currency:
        _require(
            base_amount <= requested,
            f"At this rate the award is {format_money(base_amount, base_currency)}, more than the "
            f"{format_money(requested, requested_currency)} requested.",
            "amount",
        )
    else:
        raise ValidationError(
            {"currency": [f"The request is in {requested_currency}: award it in {requested_currency} or in "
                          f"{base_currency} (the fund's currency) so it can be compared with the request."]}
        )


@transaction.atomic
def grant_approve(
    *, application, by, amount, currency, fx_rate=None, fx_date=None, conditions="", tranche_plan=None,
    imported=False, decided_at=None, reference=None, schedule_now=False, request_token=None,
):
    """Approve an application in review: the award becomes a grant with its tranches.

    Refuses without the fund's required reviews, above the request or the fund maximum, and when
    the fund's available money (received minus committed, base currency) is less than the award.
    imported=True (historical grants) waives only the reviews and the role; every money rule holds.

    schedule_now=True is the fast track of a rapid-response fund: a single-tranche award's payment
    is scheduled in the same transaction, by the approving program officer; a finance officer
    still approves it (four eyes: never the scheduler). The applicant hears of the decision and
    finance of the grant (or of the payment waiting for approval); imported history tells no one.
    """
    from reviews.selectors import application_ready_for_decision

    if not imported and not roles.is_program_officer(by):
        raise PermissionDenied("Only program officers approve applications.")
    # Lock order: fund, then application. Every approval in this fund waits here for the one before.
    fund = _locked_fund(application.fund_id)
    application = Application.objects.select_for_update().select_related("organization").get(pk=application.pk)
    if application.state != State.IN_REVIEW:
        raise TransitionNotAllowed(
            f"This application is “{application.get_state_display()}”: only applications in review can be approved."
        )
    if not imported and not application_ready_for_decision(application=application):
        raise ValidationError("The fund's required reviews are not all in yet: this application is not ready for a decision.")

    currency = (currency or "").upper()
    if currency not in CURRENCIES:
        raise ValidationError({"currency": [f"“{currency}” is not a currency this system pays in."]})
    amount = _parse_money(amount, currency, "amount")
    rate = _parse_rate(fx_rate, currency=currency, base_currency=fund.base_currency)
    decided_at = decided_at or timezone.now()
    fx_date = fx_date or timezone.localdate(decided_at)
    base_amount = to_base(amount, rate, fund.base_currency)
    # Every problem at once, each next to its field: a person fixes the form in one go.
    errors = {}

    def check(step):
        try:
            step()
        except ValidationError as error:
            for name, messages in error.update_error_dict({}).items():
                errors.setdefault(name, []).extend(messages)

    tranches = []
    check(lambda: tranches.extend(tranche_split(amount=amount, currency=currency, plan=tranche_plan)))
    if schedule_now:
        check(lambda: _require(
            fund.is_rapid_response and not imported,
            _("Only a rapid-response fund's award can be scheduled in the same step as its approval."),
        ))
        check(lambda: _require(
            len(tranches) <= 1,
            _("Only a single-tranche award can be scheduled in the same step: schedule each tranche when it is due."),
            "tranche_plan",
        ))
    check(lambda: _check_against_request(application, amount=amount, currency=currency, base_amount=base_amount,
                                         base_currency=fund.base_currency))
    check(lambda: _require(
        base_amount <= fund.max_grant,
        f"The award ({format_money(base_amount, fund.base_currency)}) is above this fund's maximum grant of "
        f"{format_money(fund.max_grant, fund.base_currency)}.",
        "amount",
    ))
    available = fund_available(fund=fund)
    check(lambda: _require(
        base_amount <= available,
        f"The fund has {format_money(max(available, ZERO), fund.base_currency)} available (received minus "
        f"committed); this award needs {format_money(base_amount, fund.base_currency)}.",
        "amount",
    ))
    if errors:
        raise ValidationError(errors)

    grant = Grant.objects.create(
        application=application, fund=fund, organization=application.organization,
        reference=reference or _next_reference(fund, decided_at.year),
        amount=amount, currency=currency, fx_rate=rate, fx_date=fx_date, base_amount=base_amount,
        conditions=(conditions or "").strip(), decided_at=decided_at, decided_by=by,
    )
    Tranche.objects.bulk_create(
        Tranche(grant=grant, number=number, amount=share, due_on=due_on)
        for number, (share, due_on) in enumerate(tranches, start=1)
    )
    note = f"Award {grant.reference}: {format_money(amount, currency)}"
    if imported:
        _audit(application, "approve", by=by, actor=by, at=decided_at, note=f"{IMPORTED_NOTE}: {note}")
    else:
        _audit(application, "approve", by=by, note=note)
    if application.decided_at != decided_at:
        Application.objects.filter(pk=application.pk).update(decided_at=decided_at)
        application.decided_at = decided_at
    hooks.run(hooks.AFTER_GRANT_APPROVED, grant, imported=imported)
    if imported:
        return grant
    notify_each(
        organisation_users(application.organization), kind=kinds.APPLICATION_DECIDED,
        event_key=f"application:{application.pk}:decided", obj=application, url=application.get_absolute_url(),
        context=application_notice_context(
            application, decision="approved", amount=format_money(amount, currency), reason="",
            letter_url=reverse("disbursements:award_letter", args=[application.pk]),
        ),
    )
    if schedule_now:
        _payment_create(grant=grant, tranche=grant.tranches.get(), by=by, request_token=request_token)
    else:
        notify_each(
            finance_officers(), kind=kinds.GRANT_AWAITING_SCHEDULE, event_key=f"grant:{grant.pk}:awaiting-schedule",
            obj=grant, url=_grant_url(grant),
            context=application_notice_context(application, grant=grant.reference, amount=format_money(amount, currency)),
        )
    return grant


@transaction.atomic
def grant_cancel(*, grant, by, reason):
    """Cancel an award: unpaid payments are cancelled, the undisbursed commitment goes back to the fund."""
    if not roles.is_program_officer(by):
        raise PermissionDenied("Only program officers cancel awards.")
    reason = (reason or "").strip()
    _require(reason, "Say why the award is cancelled.", "reason")
    grant = _locked_grant(grant.pk)
    application = Application.objects.select_for_update().get(pk=grant.application_id)
    if grant.status != Grant.Status.ACTIVE or application.state not in (State.APPROVED, State.DISBURSING):
        raise TransitionNotAllowed(f"This award is “{application.get_state_display()}”: it cannot be cancelled now.")
    for payment in grant.payments.filter(state__in=[PaymentState.SCHEDULED, PaymentState.APPROVED]):
        _audit(payment, "cancel", by=by, actor=by, note=f"Award cancelled: {reason}")
    grant.tranches.filter(status=Tranche.Status.OPEN).update(status=Tranche.Status.CANCELLED)
    paid_base = _sum(grant.payments.filter(state__in=PAID_STATES), "base_amount")
    returned_base = _sum(grant.balance_returns.all(), "base_amount")
    # Released = what was committed and never left the fund (or came back as a returned balance).
    # A payment paid at a weaker rate than the award's can exceed its share; the release never
    # goes below zero.
    grant.released_base_amount = min(max(grant.base_amount - paid_base + returned_base, ZERO), grant.base_amount)
    grant.status = Grant.Status.CANCELLED
    grant.cancelled_at = timezone.now()
    grant.save(update_fields=["released_base_amount", "status", "cancelled_at"])
    _audit(application, "cancel", by=by, note=reason)
    return grant


def grant_release_unpaid(*, grant):
    """The grant ends with less paid than awarded (the grantee spent less and the unspent balance is
    settled): its open tranches are cancelled and the commitment never paid goes back to the fund.
    Called by the closing rule (grantee_reports) inside its transaction; refused while a payment is
    still on its way, which must be paid or cancelled first."""
    grant = _locked_grant(grant.pk)
    pending = grant.payments.filter(state__in=[PaymentState.SCHEDULED, PaymentState.APPROVED])
    if pending.exists():
        raise TransitionNotAllowed(_("A payment of this award is still on its way: pay or cancel it first."))
    grant.tranches.filter(status=Tranche.Status.OPEN).update(status=Tranche.Status.CANCELLED, hold_reason="")
    paid_base = _sum(grant.payments.filter(state__in=PAID_STATES), "base_amount")
    returned_base = _sum(grant.balance_returns.all(), "base_amount")
    # As grant_cancel: released = committed and never left the fund, or came back; never below zero.
    grant.released_base_amount = min(max(grant.base_amount - paid_base + returned_base, ZERO), grant.base_amount)
    grant.save(update_fields=["released_base_amount"])
    return grant


# Holds --------------------------------------------------------------------------------


def _clean_hold_reason(reason):
    reason = " ".join(str(reason or "").split())
    _require(reason, _("Say what the tranche is waiting for."), "reason")
    _require(len(reason) <= 200, _("A hold reason has 200 characters at most."), "reason")
    return reason


@transaction.atomic
def tranche_hold(*, tranche, reason, by=None):
    """Hold a tranche back until `reason` is met (e.g. a report accepted): it cannot be scheduled,
    and the finance pages say what it waits for. by=None when another app holds it by rule."""
    reason = _clean_hold_reason(reason)
    _locked_grant(tranche.grant_id)
    tranche = Tranche.objects.select_for_update().get(pk=tranche.pk)
    if tranche.hold_reason == reason:
        return tranche
    previous = tranche.hold_reason
    tranche.hold_reason = reason
    tranche.save(update_fields=["hold_reason"])
    _audit_event(tranche, "hold", by=by, from_state="held" if previous else "open", to_state="held", note=reason)
    return tranche


@transaction.atomic
def tranche_release(*, tranche, by=None):
    """Lift a tranche's hold: it can be scheduled again. Releasing a tranche not held changes nothing."""
    _locked_grant(tranche.grant_id)
    tranche = Tranche.objects.select_for_update().get(pk=tranche.pk)
    if not tranche.hold_reason:
        return tranche
    previous = tranche.hold_reason
    tranche.hold_reason = ""
    tranche.save(update_fields=["hold_reason"])
    _audit_event(tranche, "release", by=by, from_state="held", to_state="open", note=_("Was waiting for: %(reason)s") % {"reason": previous})
    return tranche
