"""Every write where money moves: awards (grants) and their tranches, payments, reconciliation.

Views, admin actions, the demo and the historical import all call these functions. DESIGN.md's
money invariants are protected here, with row locks taken in one fixed order — the fund, then
the grant, then the payment — so two people acting at once wait for each other, never deadlock:

3. committed never exceeds received: `grant_approve` locks the fund row before it sums;
4. paid + pending never exceed the award: every payment write locks the grant row first;
5. four eyes: `payment_approve` refuses the scheduler (and a CheckConstraint backs it up);
6. one bank reference is recorded once: the unique column decides, the service says so;
7. tranches sum exactly to the award: `tranche_split`, remainder on the last tranche.
"""
import csv
import datetime
import io
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications.models import Application, State
from applications.services import application_notice_context, notify_each
from fundops import roles
from fundops.audit import TransitionNotAllowed, transition_with_audit
from fundops.models import Contribution, Fund
from fundops.money import CURRENCIES, MoneyError, format_money, minor_units, parse_decimal, quantize, to_base
from fundops.notifications import kinds
from fundops.notifications.recipients import finance_officers, organisation_users

from . import hooks
from .models import PAID_STATES, PENDING_OR_PAID, BankStatement, Grant, Payment, PaymentState, StatementLine, Tranche

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
    # Released = what was committed and never left the fund. A payment paid at a weaker rate
    # than the award's can exceed its share; the release never goes below zero.
    grant.released_base_amount = min(max(grant.base_amount - paid_base, ZERO), grant.base_amount)
    grant.status = Grant.Status.CANCELLED
    grant.cancelled_at = timezone.now()
    grant.save(update_fields=["released_base_amount", "status", "cancelled_at"])
    _audit(application, "cancel", by=by, note=reason)
    return grant


# Payments -----------------------------------------------------------------------------


def grant_pending_or_paid(grant):
    return _sum(grant.payments.filter(state__in=PENDING_OR_PAID), "amount")


def grant_paid(grant):
    return _sum(grant.payments.filter(state__in=PAID_STATES), "amount")


def tranche_pending_or_paid(tranche):
    return _sum(tranche.payments.filter(state__in=PENDING_OR_PAID), "amount")


def _check_room(grant, tranche, amount):
    """Invariant 4 (and its per-tranche form): with the grant locked, this payment must fit."""
    grant_left = grant.amount - grant_pending_or_paid(grant)
    tranche_left = tranche.amount - tranche_pending_or_paid(tranche)
    _require(
        amount <= tranche_left,
        f"Tranche {tranche.number} has {format_money(max(tranche_left, ZERO), grant.currency)} left to pay; "
        f"this payment is {format_money(amount, grant.currency)}.",
        "amount",
    )
    _require(
        amount <= grant_left,
        f"Paid and pending payments would exceed the award: {format_money(max(grant_left, ZERO), grant.currency)} is left.",
        "amount",
    )


def _check_grant_payable(grant):
    if grant.status != Grant.Status.ACTIVE or grant.application.state not in (State.APPROVED, State.DISBURSING):
        raise TransitionNotAllowed(f"Award {grant.reference} is not open for payments.")


@transaction.atomic
def payment_schedule(*, tranche, by, amount=None, note="", request_token=None):
    """Schedule a payment of (what is left of) a tranche; another finance officer approves it.

    `request_token` comes from the form that asked (one per rendering): the same token again —
    a double click, a resubmitted page — returns the payment it already scheduled and records nothing.
    """
    _require_finance(by)
    grant = _locked_grant(tranche.grant_id)
    # Read under the grant's lock: a racing twin submit waits here, then finds the first one's payment.
    if request_token:
        earlier = Payment.objects.filter(request_token=request_token).first()
        if earlier is not None:
            _require(earlier.tranche_id == tranche.pk and earlier.scheduled_by_id == by.pk,
                     _("This form was already used for another payment: reload the page and try again."))
            return earlier
    return _payment_create(grant=grant, tranche=tranche, by=by, amount=amount, note=note, request_token=request_token)


def _payment_create(*, grant, tranche, by, amount=None, note="", request_token=None):
    """Schedule (what is left of) a tranche, the grant locked by the caller; every finance officer
    but the scheduler is asked to approve it."""
    tranche = Tranche.objects.get(pk=tranche.pk)
    _check_grant_payable(grant)
    if tranche.status != Tranche.Status.OPEN:
        raise TransitionNotAllowed(f"Tranche {tranche.number} is {tranche.get_status_display().lower()}.")
    if amount in (None, ""):
        amount = tranche.amount - tranche_pending_or_paid(tranche)
        _require(amount > 0, f"Tranche {tranche.number} is already fully scheduled.", "amount")
    else:
        amount = _parse_money(amount, grant.currency, "amount")
    _check_room(grant, tranche, amount)
    payment = Payment.objects.create(
        grant=grant, tranche=tranche, amount=amount, currency=grant.currency, scheduled_by=by, note=note or "",
        request_token=request_token or None,
    )
    from fundops.models import AuditEntry  # the creation of a payment is its first audit row
    from django.contrib.contenttypes.models import ContentType

    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Payment), object_id=payment.pk, actor=by,
        transition="schedule", from_state="", to_state=payment.state,
        note=f"{format_money(amount, grant.currency)} for tranche {tranche.number}",
    )
    notify_each(
        finance_officers(exclude=by), kind=kinds.PAYMENT_AWAITING_APPROVAL, event_key=f"payment:{payment.pk}:approval-needed",
        obj=payment, url=_grant_url(grant),
        context={"grant": grant.reference, "amount": format_money(amount, grant.currency),
                 "scheduled_by": by.get_full_name() or by.get_username()},
    )
    return payment


def _grant_url(grant):
    return reverse("disbursements:grant_detail", args=[grant.application_id])


def _tell_finance_of_failure(grant, payment, *, state, note):
    notify_each(
        finance_officers(), kind=kinds.PAYMENT_FAILED, event_key=f"payment:{payment.pk}:{state}", obj=payment,
        url=_grant_url(grant),
        context={"grant": grant.reference, "amount": format_money(payment.amount, payment.currency),
                 "state": state, "note": note},
    )


def _locked_payment(payment):
    """Lock the grant (the order every payment write uses), then read the payment as committed."""
    grant = _locked_grant(payment.grant_id)
    payment = Payment.objects.select_for_update().select_related("tranche").get(pk=payment.pk)
    payment.grant = grant
    return grant, payment


@transaction.atomic
def payment_approve(*, payment, by):
    """Second pair of eyes: a finance officer other than the scheduler approves the payment."""
    _require_finance(by)
    grant, payment = _locked_payment(payment)
    if payment.state == PaymentState.APPROVED and payment.approved_by_id == by.pk:
        return payment  # the same person clicked Approve twice: it is approved, nothing more to do
    if payment.scheduled_by_id is not None and payment.scheduled_by_id == by.pk:
        raise ValidationError("You scheduled this payment: another finance officer must approve it (four eyes).")
    _check_grant_payable(grant)
    _audit(payment, "approve", by=by)
    return payment


def _after_paid(grant, tranche, *, by, actor=None, at=None, note=""):
    """A payment went out: close a fully paid tranche, and move the application along."""
    if _sum(tranche.payments.filter(state__in=PAID_STATES), "amount") >= tranche.amount:
        Tranche.objects.filter(pk=tranche.pk).update(status=Tranche.Status.PAID)
    application = Application.objects.select_for_update().get(pk=grant.application_id)
    if application.state == State.APPROVED:
        _audit(application, "start_disbursing", by=by, actor=actor, at=at, note=note or "First payment made")
    if application.state == State.DISBURSING and grant_paid(grant) >= grant.amount:
        _audit(application, "complete_disbursement", by=by, actor=actor, at=at, note=note or "Award paid in full")
    hooks.run(hooks.AFTER_PAYMENT_PAID, grant)


def _clean_reference(reference):
    reference = " ".join(str(reference or "").split())
    _require(reference, "Enter the bank transfer reference.", "reference")
    _require(len(reference) <= 100, "A bank reference has 100 characters at most.", "reference")
    return reference


def _already_recorded(reference, payment_id):
    """The payment already holding this reference: the same payment means 'recorded once'."""
    holder = Payment.objects.filter(reference=reference).first()
    if holder is None:
        return None
    if holder.pk != payment_id:
        raise ValidationError(
            {"reference": [f"Bank reference {reference} is already recorded for another payment ({holder.grant.reference})."]}
        )
    return holder


def _save_reference(payment, transition_call):
    """Save the paid payment; if another transaction took the same reference a moment ago, the
    unique index refuses it and nothing of this one is kept."""
    try:
        with transaction.atomic():
            transition_call()
    except IntegrityError:
        raise ValidationError({"reference": [f"Bank reference {payment.reference} is already recorded."]})


@transaction.atomic
def payment_record(*, payment, by, paid_on, reference, fx_rate=None, fx_date=None):
    """Record a payout: date, bank reference, the rate actually used and its base amount.
    The same reference recorded twice is recorded once (returns already_recorded=True)."""
    _require_finance(by)
    reference = _clean_reference(reference)
    grant, payment = _locked_payment(payment)
    if _already_recorded(reference, payment.pk):
        return PaymentRecorded(payment, True)
    if payment.state != PaymentState.APPROVED:
        raise TransitionNotAllowed(
            f"This payment is “{payment.get_state_display()}”: only approved payments can be recorded as paid."
        )
    _require(paid_on is not None, "Enter the date the money left the account.", "paid_on")
    _require(paid_on <= timezone.localdate(), "The payment date cannot be in the future.", "paid_on")
    rate = _parse_rate(fx_rate, currency=payment.currency, base_currency=grant.fund.base_currency)
    payment.paid_on = paid_on
    payment.fx_rate = rate
    payment.fx_date = fx_date or paid_on
    payment.base_amount = to_base(payment.amount, rate, grant.fund.base_currency)
    payment.reference = reference
    _save_reference(payment, lambda: _audit(payment, "mark_paid", by=by, note=f"Bank reference {reference}"))
    _after_paid(grant, payment.tranche, by=by)
    application = grant.application
    notify_each(
        organisation_users(grant.organization), kind=kinds.PAYMENT_SENT, event_key=f"payment:{payment.pk}:sent",
        obj=payment, url=application.get_absolute_url(),
        context=application_notice_context(
            application, amount=format_money(payment.amount, payment.currency), paid_on=paid_on.isoformat()
        ),
    )
    return PaymentRecorded(payment, False)


@transaction.atomic
def payment_fail(*, payment, by, reason):
    """The bank refused an approved payment: its amount is free to schedule again."""
    _require_finance(by)
    reason = (reason or "").strip()
    _require(reason, "Say what the bank reported.", "reason")
    grant, payment = _locked_payment(payment)
    _audit(payment, "fail", by=by, note=reason)
    _tell_finance_of_failure(grant, payment, state="failed", note=reason)
    return payment


@transaction.atomic
def payment_return(*, payment, by, reason):
    """Money came back: the payment no longer counts as paid and its tranche is open again."""
    _require_finance(by)
    reason = (reason or "").strip()
    _require(reason, "Say why the money came back.", "reason")
    grant, payment = _locked_payment(payment)
    _audit(payment, "mark_returned", by=by, note=reason)
    _tell_finance_of_failure(grant, payment, state="returned", note=reason)
    tranche = payment.tranche
    if grant.status == Grant.Status.CANCELLED:
        # The award is over: what came back is no longer committed to it.
        grant.released_base_amount = min(grant.released_base_amount + (payment.base_amount or ZERO), grant.base_amount)
        grant.save(update_fields=["released_base_amount"])
        return payment
    if tranche.status == Tranche.Status.PAID:
        Tranche.objects.filter(pk=tranche.pk).update(status=Tranche.Status.OPEN)
    application = Application.objects.select_for_update().get(pk=grant.application_id)
    if application.state == State.DISBURSED:
        _audit(application, "reopen_disbursement", by=by, note=f"Payment returned: {reason}")
    return payment


@transaction.atomic
def payment_cancel(*, payment, by, reason=""):
    """Call off a payment before it is paid."""
    _require_finance(by)
    grant, payment = _locked_payment(payment)
    _audit(payment, "cancel", by=by, note=(reason or "").strip())
    return payment


@transaction.atomic
def payment_reconcile(*, payment, by, note=""):
    """The bank statement shows the payment: it is reconciled."""
    _require_finance(by)
    grant, payment = _locked_payment(payment)
    _audit(payment, "reconcile", by=by, note=note)
    return payment


IMPORT_STATES = [PaymentState.PAID, PaymentState.RECONCILED, PaymentState.RETURNED]


@transaction.atomic
def payment_import(*, grant, reference, amount, currency, fx_rate, paid_on, status, by, fx_date=None):
    """Record one historical payment (paid, reconciled or returned) through the same money rules.

    Nobody is named as scheduler or approver (four eyes is not faked); the audit rows say
    "imported". The same reference imported twice is imported once. One row of
    `payments_import`, so the rule for historical payments lives in one place.
    """
    row = dict(grant=grant, reference=reference, amount=amount, currency=currency, fx_rate=fx_rate,
               paid_on=paid_on, status=status, fx_date=fx_date)
    results, refused = payments_import(payments=[row], by=by)
    if refused:
        raise refused[0][1]
    recorded = results[0]
    return PaymentRecorded(Payment.objects.get(pk=recorded.payment.pk), recorded.already_recorded)


# Bank reconciliation ------------------------------------------------------------------

STATEMENT_COLUMNS = ["date", "amount", "currency", "reference"]


class StatementError(ValidationError):
    """The statement could not be read: nothing was changed. `lines` lists (line number, message)."""

    def __init__(self, lines):
        self.lines = lines
        super().__init__([f"Line {number}: {message}" for number, message in lines])


def _parse_statement(file):
    raw = file.read()
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise StatementError([(1, "The file is not UTF-8 text: export the statement as CSV (UTF-8).")])
    reader = csv.reader(io.StringIO(raw))
    rows = list(reader)
    if not rows:
        raise StatementError([(1, "The file is empty.")])
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [name for name in STATEMENT_COLUMNS if name not in header]
    if missing:
        raise StatementError([(1, f"The header must name the columns {', '.join(STATEMENT_COLUMNS)}; missing: {', '.join(missing)}.")])
    index = {name: header.index(name) for name in STATEMENT_COLUMNS}
    errors, lines = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            hint = " (a comma inside an amount? Write 1250.50, without thousands separators)" if len(row) > len(header) else ""
            errors.append((number, f"expected {len(header)} columns, found {len(row)}{hint}."))
            continue
        cell = {name: row[i].strip() for name, i in index.items()}
        problems = []
        try:
            date = datetime.date.fromisoformat(cell["date"])
        except ValueError:
            problems.append(f"“{cell['date']}” is not a date (use YYYY-MM-DD)")
            date = None
        currency = cell["currency"].upper()
        if currency not in CURRENCIES:
            problems.append(f"“{cell['currency']}” is not a known currency code")
        try:
            amount = parse_decimal(cell["amount"])
            if amount <= 0:
                problems.append("the amount must be greater than zero")
            elif currency in CURRENCIES and quantize(amount, currency) != amount:
                problems.append(f"{currency} amounts have {minor_units(currency)} decimal places at most")
        except MoneyError:
            problems.append(f"“{cell['amount']}” is not an amount (digits with a '.' decimal point)")
            amount = None
        if not cell["reference"]:
            problems.append("the reference is empty")
        if problems:
            errors.append((number, "; ".join(problems) + "."))
        else:
            lines.append((number, date, amount, currency, " ".join(cell["reference"].split())))
    if errors:
        raise StatementError(errors)
    if not lines:
        raise StatementError([(2, "The statement has no lines.")])
    return lines


@transaction.atomic
def bank_statement_reconcile(*, file, by):
    """Read a bank statement (CSV: date, amount, currency, reference) and reconcile the paid
    payments it shows. Nothing changes unless every line parses. Lines matching a paid payment by
    reference and amount reconcile it; the others are kept as unmatched for a person to resolve."""
    _require_finance(by)
    lines = _parse_statement(file)
    statement = BankStatement.objects.create(
        filename=getattr(file, "name", "") or "statement.csv", uploaded_by=by
    )
    for number, date, amount, currency, reference in lines:
        payment = Payment.objects.filter(reference=reference).first()
        status, reason = StatementLine.Status.UNMATCHED, ""
        if payment is None:
            reason = "No payment has this reference."
        elif payment.amount != amount or payment.currency != currency:
            reason = f"The payment with this reference is {format_money(payment.amount, payment.currency)}."
        elif payment.state == PaymentState.RECONCILED:
            status, reason = StatementLine.Status.MATCHED, "Already reconciled."
        elif payment.state != PaymentState.PAID:
            reason = f"The payment with this reference is {payment.get_state_display().lower()}."
        else:
            payment_reconcile(payment=payment, by=by, note=f"Bank statement line {number}")
            status = StatementLine.Status.MATCHED
        StatementLine.objects.create(
            statement=statement, line_number=number, date=date, amount=amount, currency=currency,
            reference=reference, status=status, payment=payment if status == StatementLine.Status.MATCHED else None,
            reason=reason,
        )
    return statement


@transaction.atomic
def statement_line_resolve(*, line, by, note):
    """A person looked at an unmatched statement line and settled it (e.g. a bank fee, a refund)."""
    _require_finance(by)
    note = (note or "").strip()
    _require(note, "Say how the line was resolved.", "note")
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    _require(line.status == StatementLine.Status.UNMATCHED, "This line is already settled.")
    line.status, line.resolved_by, line.resolved_at, line.reason = (
        StatementLine.Status.RESOLVED, by, timezone.now(), f"{line.reason} Resolved: {note}".strip()
    )
    line.save(update_fields=["status", "resolved_by", "resolved_at", "reason"])
    return line


def may_approve(payment, user):
    """For pages: may this user approve this payment (a finance officer who did not schedule it)?"""
    return (
        roles.is_finance_officer(user) and payment.scheduled_by_id != user.pk
        and can_proceed(payment.approve)
    )


# Many historical payments at once (the payments import) ----------------------------------


def _grouped_sums(queryset, key):
    return {
        row[key]: Decimal(row["total"]).quantize(Decimal("0.0001"))
        for row in queryset.values(key).annotate(total=Sum("amount"))
    }


@transaction.atomic
def payments_import(*, payments, by):
    """Record many historical payments with each grant locked once: payment_import's rules
    (money rules 4 and 6, the first open tranche with room, the application's disbursing steps,
    audit rows saying "imported") checked row by row against running totals, then written in bulk.

    `payments` is a list of dicts of payment_import's arguments. Returns (results, refused):
    results[i] is a PaymentRecorded (already_recorded=True for a reference recorded before);
    refused is [(i, ValidationError)] — when it is not empty nothing at all was written.
    """
    from django.contrib.contenttypes.models import ContentType

    from fundops.models import AuditEntry

    grant_ids = sorted({row["grant"].pk for row in payments})
    # Lock order as everywhere: grants (ascending), then their applications.
    grants, applications = {}, {}
    for start in range(0, len(grant_ids), 500):
        chunk = grant_ids[start:start + 500]
        grants.update(Grant.objects.select_for_update().select_related("fund").in_bulk(chunk))
    for start in range(0, len(grant_ids), 500):
        chunk = [grants[pk].application_id for pk in grant_ids[start:start + 500]]
        applications.update(Application.objects.select_for_update().in_bulk(chunk))
    tranches = {}
    for start in range(0, len(grant_ids), 500):
        for tranche in Tranche.objects.filter(grant_id__in=grant_ids[start:start + 500]).order_by("number"):
            tranches.setdefault(tranche.grant_id, []).append(tranche)
    pending_by_grant, pending_by_tranche, paid_by_grant, paid_by_tranche = {}, {}, {}, {}
    for start in range(0, len(grant_ids), 500):
        chunk = Payment.objects.filter(grant_id__in=grant_ids[start:start + 500])
        pending_by_grant.update(_grouped_sums(chunk.filter(state__in=PENDING_OR_PAID), "grant_id"))
        pending_by_tranche.update(_grouped_sums(chunk.filter(state__in=PENDING_OR_PAID), "tranche_id"))
        paid_by_grant.update(_grouped_sums(chunk.filter(state__in=PAID_STATES), "grant_id"))
        paid_by_tranche.update(_grouped_sums(chunk.filter(state__in=PAID_STATES), "tranche_id"))
    references = [_clean_reference(row["reference"]) if row["reference"] else "" for row in payments]
    holders = {}
    for start in range(0, len(references), 500):
        holders.update(
            {p.reference: p for p in Payment.objects.filter(reference__in=references[start:start + 500]).select_related("grant")}
        )

    results, refused, new_payments, seen = [None] * len(payments), [], [], set()
    for index, row in enumerate(payments):
        try:
            reference = _clean_reference(row["reference"])
            status = str(row["status"] or "").lower()
            _require(status in IMPORT_STATES, "Imported payments are paid, reconciled or returned.", "status")
            grant = grants[row["grant"].pk]
            holder = holders.get(reference)
            if holder is not None:
                if holder.grant_id != grant.pk:
                    raise ValidationError({"reference": [f"Bank reference {reference} is already recorded for {holder.grant.reference}."]})
                results[index] = PaymentRecorded(holder, True)
                continue
            _require(reference not in seen, f"Bank reference {reference} appears twice.", "reference")
            currency = (row["currency"] or "").upper()
            _require(currency == grant.currency, f"Award {grant.reference} is paid in {grant.currency}, not {currency}.", "currency")
            amount = _parse_money(row["amount"], currency, "amount")
            rate = _parse_rate(row["fx_rate"], currency=currency, base_currency=grant.fund.base_currency)
            paid_on = row["paid_on"]
            _require(paid_on is not None and paid_on <= timezone.localdate(), "Give a payment date that is not in the future.", "paid_on")
            _require(grant.status == Grant.Status.ACTIVE, f"Award {grant.reference} is cancelled.")
            tranche = next(
                (t for t in tranches.get(grant.pk, []) if t.status == Tranche.Status.OPEN
                 and t.amount - pending_by_tranche.get(t.pk, ZERO) >= amount),
                None,
            )
            if tranche is None:
                raise ValidationError(
                    {"amount": [f"No tranche of {grant.reference} has {format_money(amount, currency)} left to pay: "
                                f"paid and pending payments would exceed the award."]}
                )
            grant_left = grant.amount - pending_by_grant.get(grant.pk, ZERO)
            _require(amount <= grant_left, f"Award {grant.reference} has {format_money(max(grant_left, ZERO), currency)} "
                                           f"left to pay; this payment is {format_money(amount, currency)}.", "amount")
        except ValidationError as error:
            refused.append((index, error))
            continue
        seen.add(reference)
        at = timezone.make_aware(datetime.datetime.combine(paid_on, datetime.time(12)))
        if status != PaymentState.RETURNED:
            pending_by_grant[grant.pk] = pending_by_grant.get(grant.pk, ZERO) + amount
            pending_by_tranche[tranche.pk] = pending_by_tranche.get(tranche.pk, ZERO) + amount
        payment = Payment(
            grant=grant, tranche=tranche, amount=amount, currency=currency, state=status, scheduled_by=None,
            scheduled_at=at, paid_on=paid_on, fx_rate=rate, fx_date=row.get("fx_date") or paid_on,
            base_amount=to_base(amount, rate, grant.fund.base_currency), reference=reference, recorded_by=by,
            recorded_at=at, reconciled_at=at if status == PaymentState.RECONCILED else None, note=IMPORTED_NOTE,
        )
        new_payments.append((index, payment, at))
        results[index] = PaymentRecorded(payment, False)
    if refused:
        return results, refused

    Payment.objects.bulk_create([payment for _, payment, _ in new_payments], batch_size=500)
    payment_type = ContentType.objects.get_for_model(Payment)
    application_type = ContentType.objects.get_for_model(Application)
    audit, touched_tranches, application_states = [], set(), {}

    def entry(content_type, object_id, transition, from_state, to_state, at):
        audit.append(AuditEntry(content_type=content_type, object_id=object_id, actor=by, at=at,
                                transition=transition, from_state=from_state, to_state=to_state, note=IMPORTED_NOTE))

    for _, payment, at in new_payments:
        # The history as payment_import writes it, one audit row per step.
        entry(payment_type, payment.pk, "approve", PaymentState.SCHEDULED, PaymentState.APPROVED, at)
        entry(payment_type, payment.pk, "mark_paid", PaymentState.APPROVED, PaymentState.PAID, at)
        grant, tranche = payment.grant, payment.tranche
        touched_tranches.add(tranche.pk)
        paid_by_grant[grant.pk] = paid_by_grant.get(grant.pk, ZERO) + payment.amount
        paid_by_tranche[tranche.pk] = paid_by_tranche.get(tranche.pk, ZERO) + payment.amount
        application = applications[grant.application_id]
        state = application_states.get(application.pk, application.state)
        if state == State.APPROVED:
            entry(application_type, application.pk, "start_disbursing", state, State.DISBURSING, at)
            state = State.DISBURSING
        if state == State.DISBURSING and paid_by_grant[grant.pk] >= grant.amount:
            entry(application_type, application.pk, "complete_disbursement", state, State.DISBURSED, at)
            state = State.DISBURSED
        if payment.state == PaymentState.RECONCILED:
            entry(payment_type, payment.pk, "reconcile", PaymentState.PAID, PaymentState.RECONCILED, at)
        elif payment.state == PaymentState.RETURNED:
            entry(payment_type, payment.pk, "mark_returned", PaymentState.PAID, PaymentState.RETURNED, at)
            paid_by_grant[grant.pk] -= payment.amount
            paid_by_tranche[tranche.pk] -= payment.amount
            if state == State.DISBURSED:
                entry(application_type, application.pk, "reopen_disbursement", state, State.DISBURSING, at)
                state = State.DISBURSING
        application_states[application.pk] = state
    AuditEntry.objects.bulk_create(audit, batch_size=1000)
    tranche_by_pk = {t.pk: t for group in tranches.values() for t in group}
    paid_tranches = [pk for pk in touched_tranches if paid_by_tranche.get(pk, ZERO) >= tranche_by_pk[pk].amount]
    reopened = [pk for pk in touched_tranches if pk not in paid_tranches and tranche_by_pk[pk].status == Tranche.Status.PAID]
    Tranche.objects.filter(pk__in=paid_tranches).update(status=Tranche.Status.PAID)
    Tranche.objects.filter(pk__in=reopened).update(status=Tranche.Status.OPEN)
    by_state = {}
    for application_id, state in application_states.items():
        if state != applications[application_id].state:
            by_state.setdefault(state, []).append(application_id)
    for state, ids in by_state.items():
        for start in range(0, len(ids), 500):
            Application.objects.filter(pk__in=ids[start:start + 500]).update(state=state)
    return results, refused
