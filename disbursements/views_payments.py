"""Finance pages for many payments at once: the filtered, paginated payments list with approval
of many (each refused when it is the approver's own), and the page an approver reads before
approving one payment: payee, account (masked, full on request, audited), amount, rate, grant,
tranche and the grant's documents. Every write goes through services."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.models import Attachment
from fundops import roles
from fundops.audit import TransitionNotAllowed
from fundops.money import format_money

from . import selectors, services
from .filters import PaymentFilter
from .forms import BatchCreateForm
from .models import Payment, PayoutAccount

PAGE_SIZE = 25
LIST_COLUMNS = (
    "amount", "currency", "state", "scheduled_at", "scheduled_by", "payout_account", "batch", "grant_id", "tranche_id",
    "grant__reference", "grant__application_id", "grant__organization__name", "grant__fund__name", "tranche__number",
    "scheduled_by__first_name", "scheduled_by__last_name", "scheduled_by__username",
    "payout_account__kind", "payout_account__provider", "payout_account__bank_name", "payout_account__country",
    "payout_account__iban", "payout_account__account_number", "payout_account__phone", "payout_account__verification",
    "batch__message_id",
)


def _refusal_text(error):
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or _("You may not do this.")


@roles.role_required(roles.FINANCE_OFFICER)
@require_GET
def payments(request):
    """Every payment, filtered (state, fund, currency, batch, date) and paginated: a fixed number
    of queries whatever the number of payments."""
    # Only the columns the list shows; the order is read off an index (migration 0006), so the
    # database fetches one page instead of sorting every payment (benchmarks/bench_pages.py).
    queryset = Payment.objects.select_related(
        "grant", "grant__organization", "grant__fund", "tranche", "scheduled_by", "payout_account", "batch",
    ).only(*LIST_COLUMNS).order_by("-scheduled_at", "-pk")
    filters = PaymentFilter(request.GET or None, queryset=queryset)
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for payment in page:
        payment.can_approve = services.may_approve(payment, request.user)
        payment.is_own = payment.scheduled_by_id == request.user.pk
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "disbursements/payments.html", {
        "filters": filters, "page": page, "query": query.urlencode(), "batch_form": BatchCreateForm(),
    })


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def payments_approve_many(request):
    """Approve the ticked payments, one by one through the service: each refusal (my own payment,
    an account not verified…) is reported on its own row; the others are approved."""
    ids = [pk for pk in request.POST.getlist("payment") if pk.isdigit()][:500]
    chosen = Payment.objects.filter(pk__in=ids).select_related("grant").order_by("pk")
    approved = 0
    for payment in chosen:
        try:
            services.payment_approve(payment=payment, by=request.user)
        except (ValidationError, TransitionNotAllowed, PermissionDenied) as error:
            messages.error(request, _("%(grant)s, %(amount)s: not approved — %(reason)s") % {
                "grant": payment.grant.reference, "amount": format_money(payment.amount, payment.currency),
                "reason": _refusal_text(error)})
        else:
            approved += 1
    if approved:
        messages.success(request, _("Approved %(count)s payment(s).") % {"count": approved})
    elif not ids:
        messages.error(request, _("Tick the payments to approve."))
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("disbursements:payments")


def _review_context(payment, user, revealed=None):
    grant = payment.grant
    return {
        "payment": payment, "grant": grant, "tranche": payment.tranche, "account": payment.payout_account,
        "accounts": list(PayoutAccount.objects.filter(organization=grant.organization, retired=False)),
        "attachments": list(Attachment.objects.filter(application_id=grant.application_id).order_by("uploaded_at")),
        "revealed": revealed, "can_approve": services.may_approve(payment, user),
        "is_own": payment.scheduled_by_id == user.pk, "summary": selectors.grant_summary(grant=grant),
    }


def _payment_for_review(pk):
    return get_object_or_404(Payment.objects.select_related(
        "grant", "grant__organization", "grant__fund", "grant__application", "tranche", "scheduled_by", "approved_by",
        "payout_account", "payout_account__changed_by", "payout_account__verified_by",
    ), pk=pk)


@roles.role_required(roles.FINANCE_OFFICER)
@require_GET
def payment_review(request, pk):
    """What the approver sees before approving: where the money goes and why."""
    payment = _payment_for_review(pk)
    return render(request, "disbursements/payment_review.html", _review_context(payment, request.user))


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def payment_reveal_account(request, pk):
    """Show the full account number once, and write down who asked."""
    payment = _payment_for_review(pk)
    if payment.payout_account is None:
        return redirect("disbursements:payment_review", pk)
    number = services.payout_account_reveal(account=payment.payout_account, by=request.user)
    response = render(request, "disbursements/payment_review.html", _review_context(payment, request.user, revealed=number))
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def payment_choose_account(request, pk):
    payment = _payment_for_review(pk)
    account = PayoutAccount.objects.filter(pk=request.POST.get("payout_account") or 0).first()
    try:
        services.payment_set_account(payment=payment, by=request.user, payout_account=account)
    except (ValidationError, TransitionNotAllowed, PermissionDenied) as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, _("The payment goes to the account you chose."))
    return redirect("disbursements:payment_review", pk)


