"""Finance pages for payout accounts: the list (pending first), an organisation's accounts with
the form to add one, an account's page (details, history, verify or reject, change). Finance
officers only: an at-risk grantee's account details never leave finance staff."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fundops import roles
from fundops.audit import audit_trail
from fundops.models import Organization

from . import services
from .forms import PayoutAccountForm, RejectForm, apply_service_errors
from .models import PayoutAccount

DETAILS = PayoutAccount.DETAIL_FIELDS


@roles.role_required(roles.FINANCE_OFFICER)
@require_GET
def accounts(request):
    status = request.GET.get("status", "")
    queryset = PayoutAccount.objects.select_related("organization", "changed_by", "verified_by").annotate(
        waiting=Case(When(verification=PayoutAccount.Verification.PENDING, then=Value(0)), default=Value(1),
                     output_field=IntegerField()),
    ).order_by("waiting", "-changed_at", "pk")
    if status in PayoutAccount.Verification.values:
        queryset = queryset.filter(verification=status)
    search = request.GET.get("q", "").strip()[:100]
    if search:
        queryset = queryset.filter(organization__name__icontains=search)
    page = Paginator(queryset, 25).get_page(request.GET.get("page"))
    organisations = Organization.objects.filter(name__icontains=search).order_by("name")[:20] if search else []
    return render(request, "disbursements/accounts.html", {
        "page": page, "status": status, "search": search, "organisations": organisations,
        "statuses": PayoutAccount.Verification.choices,
    })


@roles.role_required(roles.FINANCE_OFFICER)
def organization_accounts(request, pk):
    organization = get_object_or_404(Organization, pk=pk)
    form = PayoutAccountForm(request.POST or None, initial={
        "kind": PayoutAccount.Kind.BANK, "country": organization.country.code, "holder_name": organization.name})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("note")
        try:
            account = services.payout_account_create(organization=organization, by=request.user, note=note, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Account …%(last4)s added: another finance officer verifies it before any "
                                        "payment to it is approved.") % {"last4": account.last4})
            return redirect("disbursements:account_detail", account.pk)
    return render(request, "disbursements/organization_accounts.html", {
        "organization": organization, "form": form,
        "accounts": list(organization.payout_accounts.select_related("changed_by", "verified_by")),
    })


def _account(pk):
    return get_object_or_404(PayoutAccount.objects.select_related("organization", "changed_by", "verified_by"), pk=pk)


@roles.role_required(roles.FINANCE_OFFICER)
def account_detail(request, pk):
    account = _account(pk)
    form = PayoutAccountForm(request.POST or None, initial={
        **{name: getattr(account, name) for name in DETAILS}, "country": account.country.code})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        note = data.pop("note")
        try:
            services.payout_account_update(account=account, by=request.user, note=note, **data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Account changed: it waits for another finance officer's verification."))
            return redirect("disbursements:account_detail", pk)
    authors = services.account_authors(account)
    changes = list(account.changes.select_related("requested_by").order_by("-requested_at", "-pk"))
    labels = {name: PayoutAccount._meta.get_field(name).verbose_name for name in DETAILS}
    for change in changes:
        change.rows = [(labels.get(name, name), before, after) for name, (before, after) in change.changes.items()]
    return render(request, "disbursements/account_detail.html", {
        "account": account, "form": form, "reject_form": RejectForm(),
        "changes": changes,
        "trail": list(audit_trail(account)), "may_verify": request.user.pk not in authors,
    })


@require_POST
@roles.role_required(roles.FINANCE_OFFICER)
def account_verify(request, pk):
    account = _account(pk)
    try:
        if request.POST.get("action") == "reject":
            services.payout_account_reject(account=account, by=request.user, reason=request.POST.get("reason", ""))
            messages.success(request, _("Account rejected: no payment goes to it."))
        else:
            services.payout_account_verify(account=account, by=request.user)
            messages.success(request, _("Account verified: payments to it can be approved."))
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", [str(error)]):
            messages.error(request, message)
    return redirect("disbursements:account_detail", pk)
