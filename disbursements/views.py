"""Pages for awards and payments: approval, the grant page, the award letter, the finance
workspace, reconciliation and the fund dashboards. Every write goes through services.py."""
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications.models import Application, State
from fundops import roles
from fundops.audit import TransitionNotAllowed, audit_trail
from fundops.models import Fund
from fundops.money import format_money, quantize

from . import selectors, services
from .forms import (
    ApprovalForm, BalanceReturnForm, HoldForm, LinkLineForm, ReasonForm, RecordForm, ResolveForm, ScheduleForm,
    StatementForm, apply_service_errors,
)
from .models import BankStatement, Grant, Payment, PaymentState, PayoutAccount, StatementLine, Tranche


def _is_staff(user):
    return roles.is_program_officer(user) or roles.is_finance_officer(user)


def staff_required(view):
    """Program officers, finance officers and administrators; everyone else gets a 404."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not _is_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _grant_of(pk):
    return get_object_or_404(
        Grant.objects.select_related("application", "organization", "fund", "decided_by"), application_id=pk
    )


def _back_to_grant(payment):
    return redirect("disbursements:grant_detail", payment.grant.application_id)


def _next_or(request, default):
    """Back to the page the button was on (same site only), else `default`."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _refusal(request, error):
    """A service said no: say why in plain words."""
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error) or "You may not do this.")


# Awards -------------------------------------------------------------------------------


@roles.role_required(roles.PROGRAM_OFFICER)
def approve(request, pk):
    application = get_object_or_404(Application.objects.select_related("organization", "fund"), pk=pk)
    if application.state != "in_review":
        grant = Grant.objects.filter(application=application).first()
        if request.method == "POST" and grant is not None and grant.decided_by_id == request.user.pk:
            # The approval form sent twice (a double click, a reload): the first one made the award.
            messages.info(request, _("Already approved: award %(reference)s. Nothing changed.") % {"reference": grant.reference})
            return redirect("disbursements:grant_detail", pk)
        messages.error(request, f"This application is “{application.get_state_display()}”: it cannot be approved now.")
        if grant is not None:
            return redirect("disbursements:grant_detail", pk)
        return redirect("applications:review_detail", pk)
    from reviews.selectors import application_ready_for_decision

    fund = application.fund
    initial = {
        "amount": quantize(application.requested_amount, application.requested_currency or fund.base_currency)
        if application.requested_amount is not None else None,
        "currency": application.requested_currency or fund.base_currency,
        "plan_mode": "single" if fund.is_rapid_response else "percent",
    }
    form = ApprovalForm(request.POST or None, initial=initial, fast_track=fund.is_rapid_response)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The service says when the payment cannot be scheduled with the approval (several tranches).
        schedule_now = bool(data.get("schedule_now"))
        try:
            grant = services.grant_approve(
                application=application, by=request.user, amount=data["amount"], currency=data["currency"],
                fx_rate=data["fx_rate"], fx_date=data["fx_date"], conditions=data["conditions"],
                tranche_plan=data["tranche_plan"], schedule_now=schedule_now,
                request_token=data["request_token"] or None,
            )
        except ValidationError as error:
            apply_service_errors(form, error, {"tranche_plan": "tranches"})
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            amount = format_money(grant.amount, grant.currency)
            if schedule_now:
                messages.success(request, _(
                    "Approved: award %(reference)s for %(amount)s, and its payment is scheduled: "
                    "a finance officer approves it."
                ) % {"reference": grant.reference, "amount": amount})
            else:
                messages.success(request, _("Approved: award %(reference)s for %(amount)s.") % {
                    "reference": grant.reference, "amount": amount})
            return redirect("disbursements:grant_detail", application.pk)
    return render(request, "disbursements/approve.html", {
        "application": application, "fund": fund, "form": form,
        "ready": application_ready_for_decision(application=application),
        "position": selectors.fund_position(fund=fund),
    })


@staff_required
def grant_detail(request, pk):
    grant = _grant_of(pk)
    payments = list(
        grant.payments.select_related("tranche", "scheduled_by", "approved_by", "recorded_by").order_by("scheduled_at", "pk")
    )
    user = request.user
    is_finance = roles.is_finance_officer(user)
    for payment in payments:
        payment.can_approve = services.may_approve(payment, user)
        payment.is_own = payment.scheduled_by_id == user.pk
    labels = dict(State.choices)
    trail = list(audit_trail(grant.application))
    for entry in trail:
        entry.from_label = labels.get(entry.from_state, entry.from_state or "New")
        entry.to_label = labels.get(entry.to_state, entry.to_state)
    payable = grant.status == Grant.Status.ACTIVE and grant.application.state in ("approved", "disbursing")
    summary = selectors.grant_summary(grant=grant)
    balance_returns = list(grant.balance_returns.select_related("recorded_by"))
    returned = sum((r.amount for r in balance_returns), Decimal("0"))
    return render(request, "disbursements/grant_detail.html", {
        "grant": grant, "application": grant.application, "tranches": selectors.grant_tranches(grant=grant),
        "payments": payments, "summary": summary,
        "is_finance": is_finance, "is_officer": roles.is_program_officer(user), "payable": payable,
        "trail": trail, "cancel_form": ReasonForm(), "reason_form": ReasonForm(),
        "return_form": BalanceReturnForm(initial={"received_on": timezone.localdate()}),
        "balance_returns": balance_returns, "returned": returned, "returnable": summary["paid"] - returned,
        "hold_form": HoldForm(),
    })


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def balance_return(request, pk):
    """Record an unspent balance the grantee sent back."""
    grant = _grant_of(pk)
    form = BalanceReturnForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else error)
    else:
        data = form.cleaned_data
        try:
            balance = services.balance_return_record(
                grant=grant, by=request.user, amount=data["amount"], received_on=data["received_on"],
                reference=data["reference"], fx_rate=data["fx_rate"], note=data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            _refusal(request, error)
        else:
            messages.success(request, _("Recorded the returned balance of %(amount)s (%(reference)s).") % {
                "amount": format_money(balance.amount, balance.currency), "reference": balance.reference})
    return redirect("disbursements:grant_detail", pk)


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def tranche_hold(request, pk):
    """Hold a tranche back (with what it waits for), or release it (action=release)."""
    tranche = get_object_or_404(Tranche.objects.select_related("grant"), pk=pk)
    try:
        if request.POST.get("action") == "release":
            services.tranche_release(tranche=tranche, by=request.user)
            messages.success(request, _("Tranche %(number)s released: it can be scheduled.") % {"number": tranche.number})
        else:
            services.tranche_hold(tranche=tranche, by=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Tranche %(number)s is on hold.") % {"number": tranche.number})
    except ValidationError as error:
        _refusal(request, error)
    return redirect("disbursements:grant_detail", tranche.grant.application_id)


@require_POST
@roles.role_required(roles.PROGRAM_OFFICER)
def grant_cancel(request, pk):
    grant = _grant_of(pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the award is cancelled.")
    else:
        try:
            services.grant_cancel(grant=grant, by=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, TransitionNotAllowed, PermissionDenied) as error:
            _refusal(request, error)
        else:
            messages.success(request, f"Award {grant.reference} cancelled; its undisbursed part is back in the fund.")
    return redirect("disbursements:grant_detail", pk)


def award_letter(request, pk):
    """The applicant's own organisation and staff may download it; anyone else gets a 404."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    grant = _grant_of(pk)
    user = request.user
    own = roles.is_applicant(user) and user.organization_id == grant.organization_id
    if not (own or _is_staff(user)):
        raise Http404
    from .letters import award_letter_pdf  # ReportLab's platypus: loaded when a letter is drawn, not at start-up

    pdf = award_letter_pdf(grant=grant, tranches=list(grant.tranches.order_by("number")))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="award-letter-{grant.reference}.pdf"'
    return response


# Payments -----------------------------------------------------------------------------


@roles.role_required(roles.FINANCE_OFFICER)
def schedule(request, pk):
    tranche = get_object_or_404(Tranche.objects.select_related("grant", "grant__organization", "grant__fund"), pk=pk)
    grant = tranche.grant
    left = tranche.amount - services.tranche_pending_or_paid(tranche)
    if tranche.hold_reason:
        messages.error(request, _("Tranche %(number)s is on hold. Waiting for: %(reason)s") % {
            "number": tranche.number, "reason": tranche.hold_reason})
        return redirect("disbursements:grant_detail", grant.application_id)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_schedule(
                tranche=tranche, by=request.user, amount=form.cleaned_data["amount"], note=form.cleaned_data["note"],
                request_token=form.cleaned_data["request_token"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Scheduled {payment.amount:,.2f} {payment.currency} for {grant.reference}: "
                "another finance officer approves it."
            )
            return _next_or(request, reverse("disbursements:workspace"))
    return render(request, "disbursements/schedule.html", {"tranche": tranche, "grant": grant, "left": left, "form": form})


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def payment_approve(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("grant"), pk=pk)
    try:
        services.payment_approve(payment=payment, by=request.user)
    except (ValidationError, TransitionNotAllowed, PermissionDenied) as error:
        _refusal(request, error)
    else:
        messages.success(request, f"Approved the payment of {payment.amount:,.2f} {payment.currency} ({payment.grant.reference}).")
    return _next_or(request, reverse("disbursements:workspace"))


@roles.role_required(roles.FINANCE_OFFICER)
def payment_record(request, pk):
    payment = get_object_or_404(Payment.objects.select_related("grant", "grant__fund", "grant__organization", "tranche"), pk=pk)
    form = RecordForm(request.POST or None, initial=selectors.payout_defaults(payment))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.payment_record(
                payment=payment, by=request.user, paid_on=data["paid_on"], reference=data["reference"],
                fx_rate=data["fx_rate"], fx_date=data["fx_date"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        except TransitionNotAllowed as error:
            form.add_error(None, str(error))
        else:
            if result.already_recorded:
                messages.info(request, f"Bank reference {data['reference']} was already recorded for this payment: nothing changed.")
            else:
                messages.success(request, f"Recorded the payout {result.payment.reference} for {payment.grant.reference}.")
            return redirect("disbursements:grant_detail", payment.grant.application_id)
    return render(request, "disbursements/payment_record.html", {"payment": payment, "grant": payment.grant, "form": form})


PAYMENT_ACTIONS = {
    # action: (service, needs a reason, message)
    "fail": (services.payment_fail, True, "Marked as failed: the amount can be scheduled again."),
    "return": (services.payment_return, True, "Marked as returned: its tranche is open again."),
    "cancel": (services.payment_cancel, False, "Payment cancelled."),
    "reconcile": (services.payment_reconcile, False, "Payment reconciled."),
}


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def payment_change(request, pk, action):
    payment = get_object_or_404(Payment.objects.select_related("grant"), pk=pk)
    if action not in PAYMENT_ACTIONS:
        raise Http404
    service, needs_reason, done = PAYMENT_ACTIONS[action]
    reason = request.POST.get("reason", "")
    try:
        if needs_reason or action == "cancel":
            service(payment=payment, by=request.user, reason=reason)
        else:
            service(payment=payment, by=request.user)
    except (ValidationError, TransitionNotAllowed, PermissionDenied) as error:
        _refusal(request, error)
    else:
        messages.success(request, done)
    return _next_or(request, reverse("disbursements:grant_detail", args=[payment.grant.application_id]))


# Finance workspace --------------------------------------------------------------------


@roles.role_required(roles.FINANCE_OFFICER)
def workspace(request):
    """What waits for finance, each list paginated (a fixed number of queries however long it is)."""
    user = request.user

    def page_of(queryset, name):
        return Paginator(queryset, 20).get_page(request.GET.get(name))

    to_approve = page_of(selectors.payments_queryset(states=[PaymentState.SCHEDULED], exclude_scheduled_by=user), "approve_page")
    for payment in to_approve:
        payment.can_approve = True
    tranches_due = page_of(selectors.tranches_due_queryset(), "due_page")
    selectors.with_left_to_schedule(tranches_due)
    return render(request, "disbursements/workspace.html", {
        "tranches_due": tranches_due,
        "to_approve": to_approve,
        "mine_waiting": selectors.payments_queryset(states=[PaymentState.SCHEDULED], scheduled_by=user).count(),
        "to_record": page_of(selectors.payments_queryset(states=[PaymentState.APPROVED]), "record_page"),
        "problems": page_of(selectors.payments_queryset(states=[PaymentState.FAILED, PaymentState.RETURNED]), "problems_page"),
        "unmatched": selectors.unmatched_statement_count(),
        "pending_accounts": PayoutAccount.objects.filter(verification=PayoutAccount.Verification.PENDING).count(),
        "today": timezone.localdate(),
    })


@roles.role_required(roles.FINANCE_OFFICER)
def reconcile(request):
    form = StatementForm(request.POST or None, request.FILES or None)
    statement, bad_lines = None, []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            statement = services.bank_statement_reconcile(
                file=data["file"], by=request.user, format=data["format"] or None, mapping=data["mapping"])
        except services.StatementError as error:
            bad_lines = error.lines
            form.add_error("file", _("Nothing was changed: fix the file and upload the whole file again."))
        else:
            if statement.already_imported:
                messages.info(request, _("This statement was already read on %(date)s: nothing changed.") % {
                    "date": date_format(timezone.localtime(statement.uploaded_at), "j M Y, H:i")})
            return redirect(f"{reverse('disbursements:reconcile')}?statement={statement.pk}")
    if request.GET.get("statement"):
        # A link to a statement that is not there (or not a number) is a page that does not exist.
        statement_id = request.GET["statement"]
        if not (statement_id.isascii() and statement_id.isdigit() and len(statement_id) < 19):
            raise Http404(_("No such bank statement."))
        statement = get_object_or_404(BankStatement, pk=statement_id)
    lines = list(statement.lines.select_related("payment", "payment__grant")) if statement else []
    return render(request, "disbursements/reconcile.html", {
        "form": form, "statement": statement, "bad_lines": bad_lines,
        "matched": [line for line in lines if line.status in (StatementLine.Status.MATCHED, StatementLine.Status.LINKED)],
        "unmatched_here": [line for line in lines if line.status not in (StatementLine.Status.MATCHED, StatementLine.Status.LINKED)],
        "unmatched": selectors.unmatched_statement_lines(limit=50), "resolve_form": ResolveForm(),
    })


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def statement_line_resolve(request, pk):
    line = get_object_or_404(StatementLine, pk=pk)
    try:
        services.statement_line_resolve(line=line, by=request.user, note=request.POST.get("note", ""))
    except ValidationError as error:
        _refusal(request, error)
    else:
        messages.success(request, f"Line {line.line_number} ({line.reference}) resolved.")
    return redirect("disbursements:reconcile")


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def statement_line_link(request, pk):
    """Link an unmatched line by hand to the payment with the bank reference given."""
    line = get_object_or_404(StatementLine, pk=pk)
    form = LinkLineForm(request.POST)
    payment = None
    if form.is_valid():
        payment = Payment.objects.select_related("grant").filter(reference=form.cleaned_data["payment_reference"].strip()).first()
    if payment is None:
        messages.error(request, _("No payment has the bank reference you gave."))
    else:
        try:
            services.statement_line_link(line=line, payment=payment, by=request.user, note=form.cleaned_data["note"])
        except (ValidationError, TransitionNotAllowed) as error:
            _refusal(request, error)
        else:
            messages.success(request, _("Line %(number)s linked to %(grant)s.") % {
                "number": line.line_number, "grant": payment.grant.reference})
    return redirect(f"{reverse('disbursements:reconcile')}?statement={line.statement_id}")


# Funds --------------------------------------------------------------------------------


@staff_required
def funds(request):
    funds = list(Fund.objects.all())
    positions = selectors.fund_positions(funds=funds)
    rows = [(fund, positions[fund.pk]) for fund in funds]
    return render(request, "disbursements/funds.html", {"rows": rows})


@staff_required
def fund_dashboard(request, slug):
    fund = get_object_or_404(Fund, slug=slug)
    grants = (
        Grant.objects.filter(fund=fund).select_related("organization", "application").order_by("-decided_at")[:50]
    )
    return render(request, "disbursements/fund_dashboard.html", {
        "fund": fund, "position": selectors.fund_position(fund=fund), "grants": grants,
    })
