"""Finance pages for payment batches (group approved payments, export the bank file, mark sent,
record paid out) and for the bank settings they need (the fund's accounts paid from, each bank's
statement CSV mapping and fee tolerance). Every write goes through services."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fundops import roles
from fundops.audit import audit_trail

from . import services
from .forms import BankCsvMappingForm, BatchCreateForm, BatchPaidForm, FundBankAccountForm
from .models import BankCsvMapping, FundBankAccount, Payment, PaymentBatch


def _say_no(request, error):
    for message in getattr(error, "messages", None) or [str(error)]:
        messages.error(request, message)


@roles.role_required(roles.FINANCE_OFFICER)
@require_GET
def batches(request):
    queryset = PaymentBatch.objects.select_related("debtor_account", "created_by").annotate(
        count=Count("payments"), total=Sum("payments__amount")).order_by("-created_at", "-pk")
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    return render(request, "disbursements/batches.html", {"page": page})


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def batch_create(request):
    """From the payments list: the ticked approved payments become a draft batch."""
    form = BatchCreateForm(request.POST)
    ids = [pk for pk in request.POST.getlist("payment") if pk.isdigit()][:2000]
    if not form.is_valid():
        messages.error(request, _("Choose the account the batch is paid from."))
        return redirect("disbursements:payments")
    try:
        batch = services.payment_batch_create(
            payments=list(Payment.objects.filter(pk__in=ids)), by=request.user,
            debtor_account=form.cleaned_data["debtor_account"], execution_date=form.cleaned_data["execution_date"],
        )
    except (ValidationError, PermissionDenied) as error:
        _say_no(request, error)
        return redirect("disbursements:payments")
    messages.success(request, _("Batch %(id)s created: export it for the bank.") % {"id": batch.message_id})
    return redirect("disbursements:batch_detail", batch.pk)


@roles.role_required(roles.FINANCE_OFFICER)
@require_GET
def batch_detail(request, pk):
    batch = get_object_or_404(PaymentBatch.objects.select_related("debtor_account", "created_by"), pk=pk)
    payments = list(batch.payments.select_related("grant", "grant__organization", "tranche", "payout_account").order_by("pk"))
    return render(request, "disbursements/batch_detail.html", {
        "batch": batch, "payments": payments, "total": sum((p.amount for p in payments), 0),
        "file_kind": services.batch_file_kind(batch, payments) if payments else None,
        "paid_form": BatchPaidForm(initial={"paid_on": timezone.localdate()}), "trail": list(audit_trail(batch)),
    })


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def batch_export(request, pk):
    batch = get_object_or_404(PaymentBatch, pk=pk)
    try:
        filename, content_type, content = services.payment_batch_export(
            batch=batch, by=request.user, file_format=request.POST.get("format", ""))
    except (ValidationError, PermissionDenied) as error:
        _say_no(request, error)
        return redirect("disbursements:batch_detail", pk)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def batch_change(request, pk, action):
    batch = get_object_or_404(PaymentBatch, pk=pk)
    try:
        if action == "sent":
            services.payment_batch_mark_sent(batch=batch, by=request.user)
            messages.success(request, _("Batch marked sent to the bank."))
        elif action == "paid":
            form = BatchPaidForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the date the bank paid the batch out."))
                return redirect("disbursements:batch_detail", pk)
            batch, results = services.payment_batch_paid(
                batch=batch, by=request.user, paid_on=form.cleaned_data["paid_on"], fx_rate=form.cleaned_data["fx_rate"])
            recorded = sum(1 for result in results if not result.already_recorded)
            messages.success(request, _("Batch paid out: %(count)s payment(s) recorded paid.") % {"count": recorded})
        elif action == "remove":
            payment = get_object_or_404(Payment, pk=request.POST.get("payment") or 0, batch=batch)
            services.payment_batch_remove(batch=batch, payment=payment, by=request.user)
            messages.success(request, _("Payment taken out of the batch."))
        else:
            messages.error(request, _("Unknown action."))
    except (ValidationError, PermissionDenied) as error:
        _say_no(request, error)
    return redirect("disbursements:batch_detail", pk)


@roles.role_required(roles.FINANCE_OFFICER)
def bank_settings(request):
    """The fund's accounts batches are paid from, and each bank's statement format and fee tolerance."""
    mapping_form = BankCsvMappingForm(request.POST if request.POST.get("form") == "mapping" else None, prefix="mapping")
    account_form = FundBankAccountForm(request.POST if request.POST.get("form") == "account" else None, prefix="account")
    if request.method == "POST":
        form = mapping_form if request.POST.get("form") == "mapping" else account_form
        if form.is_valid():
            form.save()
            messages.success(request, _("Saved."))
            return redirect("disbursements:bank_settings")
    return render(request, "disbursements/bank_settings.html", {
        "mappings": BankCsvMapping.objects.all(), "accounts": FundBankAccount.objects.select_related("fund"),
        "mapping_form": mapping_form, "account_form": account_form,
    })


@roles.role_required(roles.FINANCE_OFFICER)
def mapping_edit(request, pk):
    mapping = get_object_or_404(BankCsvMapping, pk=pk)
    form = BankCsvMappingForm(request.POST or None, instance=mapping)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("disbursements:bank_settings")
    return render(request, "disbursements/mapping_edit.html", {"mapping": mapping, "form": form})
