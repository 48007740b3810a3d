"""Payments: scheduled by one finance officer, approved by another, recorded paid with the rate
actually used, failed, returned, cancelled, reconciled.

4. paid + pending never exceed the award: every payment write locks the grant row first;
5. four eyes: `payment_approve` refuses the scheduler (and a CheckConstraint backs it up);
6. one bank reference is recorded once: the unique column decides, the service says so.
"""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from applications.models import Application, State
from applications.services import application_notice_context, notify_each
from fundops import roles
from fundops.audit import TransitionNotAllowed
from fundops.models import AuditEntry
from fundops.money import format_money, to_base
from fundops.notifications import kinds
from fundops.notifications.recipients import finance_officers, organisation_users

from .. import hooks
from .accounts import account_authors, default_payout_account
from ..models import PAID_STATES, PENDING_OR_PAID, Grant, Payment, PaymentState, PayoutAccount, Tranche
from ._common import (
    ZERO, PaymentRecorded, _audit, _audit_event, _grant_url, _locked_grant, _locked_payment, _parse_money, _parse_rate,
    _require, _require_finance, _sum,
)

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
def payment_schedule(*, tranche, by, amount=None, note="", request_token=None, payout_account=None):
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
    return _payment_create(grant=grant, tranche=tranche, by=by, amount=amount, note=note, request_token=request_token,
                           payout_account=payout_account)


def _payout_account_for(grant, payout_account):
    """The account chosen (it must be the grantee's and not retired), else the grantee's single
    verified account, else none yet: approval waits until one is chosen and verified."""
    if payout_account is None:
        return default_payout_account(grant.organization)
    _require(payout_account.organization_id == grant.organization_id and not payout_account.retired,
             _("Choose one of %(organisation)s's payout accounts.") % {"organisation": grant.organization.name},
             "payout_account")
    return payout_account


def _payment_create(*, grant, tranche, by, amount=None, note="", request_token=None, payout_account=None):
    """Schedule (what is left of) a tranche, the grant locked by the caller; every finance officer
    but the scheduler is asked to approve it."""
    tranche = Tranche.objects.get(pk=tranche.pk)
    _check_grant_payable(grant)
    if tranche.status != Tranche.Status.OPEN:
        raise TransitionNotAllowed(f"Tranche {tranche.number} is {tranche.get_status_display().lower()}.")
    if tranche.hold_reason:
        raise TransitionNotAllowed(
            _("Tranche %(number)s is on hold. Waiting for: %(reason)s")
            % {"number": tranche.number, "reason": tranche.hold_reason}
        )
    if amount in (None, ""):
        amount = tranche.amount - tranche_pending_or_paid(tranche)
        _require(amount > 0, f"Tranche {tranche.number} is already fully scheduled.", "amount")
    else:
        amount = _parse_money(amount, grant.currency, "amount")
    _check_room(grant, tranche, amount)
    payment = Payment.objects.create(
        grant=grant, tranche=tranche, amount=amount, currency=grant.currency, scheduled_by=by, note=note or "",
        request_token=request_token or None, payout_account=_payout_account_for(grant, payout_account),
    )
    # The creation of a payment is its first audit row.
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


def _tell_finance_of_failure(grant, payment, *, state, note):
    notify_each(
        finance_officers(), kind=kinds.PAYMENT_FAILED, event_key=f"payment:{payment.pk}:{state}", obj=payment,
        url=_grant_url(grant),
        context={"grant": grant.reference, "amount": format_money(payment.amount, payment.currency),
                 "state": state, "note": note},
    )


@transaction.atomic
def payment_approve(*, payment, by):
    """Second pair of eyes: a finance officer other than the scheduler approves the payment."""
    _require_finance(by)
    grant, payment = _locked_payment(payment)
    if payment.state == PaymentState.APPROVED and payment.approved_by_id == by.pk:
        return payment  # the same person clicked Approve twice: it is approved, nothing more to do
    if payment.scheduled_by_id is not None and payment.scheduled_by_id == by.pk:
        raise ValidationError("You scheduled this payment: another finance officer must approve it (four eyes).")
    _check_payout_account(payment, by)
    _check_grant_payable(grant)
    _audit(payment, "approve", by=by)
    return payment


def _check_payout_account(payment, by):
    """The money goes to a verified account, and not on the word of the one who set it up."""
    account = PayoutAccount.objects.select_for_update().filter(pk=payment.payout_account_id).first()
    if account is None:
        # Scheduled before the grantee had an account: the single verified one, if there is one now.
        account = default_payout_account(payment.grant.organization)
        if account is not None:
            Payment.objects.filter(pk=payment.pk).update(payout_account=account)
            payment.payout_account = account
    if account is None:
        raise ValidationError({"payout_account": [_(
            "Choose the account this payment goes to before it is approved.")]})
    if not account.is_usable:
        raise ValidationError({"payout_account": [_(
            "The payout account …%(last4)s is not verified (it is new or was changed): another finance officer "
            "must verify it before this payment can be approved.") % {"last4": account.last4}]})
    if by.pk in account_authors(account):
        raise ValidationError({"payout_account": [_(
            "You created or changed the payout account of this payment: another finance officer must approve "
            "it (four eyes).")]})


@transaction.atomic
def payment_set_account(*, payment, by, payout_account):
    """Choose (or change) the account a payment not yet approved goes to."""
    _require_finance(by)
    grant, payment = _locked_payment(payment)
    _require(payment.state == PaymentState.SCHEDULED, _("Only a payment waiting for approval can change account."))
    account = _payout_account_for(grant, payout_account)
    Payment.objects.filter(pk=payment.pk).update(payout_account=account)
    payment.payout_account = account
    _audit_event(payment, "choose_account", by=by, from_state=payment.state, to_state=payment.state,
                 note=_("Pays into …%(last4)s") % {"last4": account.last4} if account else "")
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



def may_approve(payment, user):
    """For pages: may this user approve this payment (a finance officer who did not schedule it)?
    The payout account's checks are the service's: it says why when it refuses."""
    return (
        roles.is_finance_officer(user) and payment.scheduled_by_id != user.pk
        and can_proceed(payment.approve)
    )

