"""Admin for awards, tranches and payments; payment transitions run through the services."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from import_export.admin import ImportExportMixin

from fundops.audit import TransitionNotAllowed
from fundops.resources import EngineImportExportMixin

from . import services
from .models import (
    BalanceReturn, BankCsvMapping, BankStatement, FundBankAccount, Grant, Payment, PaymentBatch, PayoutAccount,
    StatementLine, Tranche,
)
from .resources import GrantResource, PaymentResource


class TrancheInline(admin.TabularInline):
    model = Tranche
    extra = 0
    readonly_fields = ["number", "amount", "due_on", "status"]
    can_delete = False


@admin.register(Grant)
class GrantAdmin(EngineImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    # Import/export of CSV and XLSX through the same engine as `manage.py import_data`.
    resource_classes = [GrantResource]
    list_display = ["reference", "organization", "fund", "amount", "currency", "base_amount", "status", "decided_at"]
    # A date range filter, not date_hierarchy (which reads every row's date to draw its years).
    list_filter = ["status", "fund", "currency", ("decided_at", admin.DateFieldListFilter)]
    search_fields = ["reference", "public_reference", "organization__name", "application__title"]
    list_select_related = ["organization", "fund"]
    show_full_result_count = False
    inlines = [TrancheInline]
    # Money fields are set by grant_approve / grant_cancel only.
    readonly_fields = [
        "application", "fund", "organization", "reference", "public_reference", "amount", "currency", "fx_rate",
        "fx_date", "base_amount", "released_base_amount", "decided_at", "decided_by", "status", "cancelled_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(Tranche)
class TrancheAdmin(admin.ModelAdmin):
    list_display = ["grant", "number", "amount", "due_on", "status"]
    list_filter = ["status", "grant__fund"]
    search_fields = ["grant__reference"]
    list_select_related = ["grant"]
    readonly_fields = ["grant", "number", "amount", "status"]

    def has_add_permission(self, request):
        return False


def _payment_action(service, label, **extra):
    def action(modeladmin, request, queryset):
        done = 0
        for payment in queryset:
            try:
                service(payment=payment, by=request.user, **extra)
                done += 1
            except (ValidationError, TransitionNotAllowed, PermissionDenied) as error:
                text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                modeladmin.message_user(request, f"{payment}: {text}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{label}: {done} payment{'s' if done != 1 else ''}.", messages.SUCCESS)

    action.short_description = label
    action.__name__ = f"payment_{service.__name__}"
    return action


@admin.register(Payment)
class PaymentAdmin(EngineImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    # Import/export of CSV and XLSX through the same engine as `manage.py import_data`.
    resource_classes = [PaymentResource]
    list_display = ["grant", "tranche", "amount", "currency", "state", "paid_on", "reference", "scheduled_by", "approved_by"]
    list_filter = ["state", "currency", "grant__fund", ("paid_on", admin.DateFieldListFilter)]
    search_fields = ["reference", "grant__reference", "grant__organization__name"]
    list_select_related = ["grant", "tranche__grant", "scheduled_by", "approved_by"]
    show_full_result_count = False
    readonly_fields = [f.name for f in Payment._meta.fields if f.name != "note"]
    actions = [
        _payment_action(services.payment_approve, "Approve (four eyes)"),
        _payment_action(services.payment_reconcile, "Reconcile"),
        _payment_action(services.payment_cancel, "Cancel", reason="Cancelled in the admin"),
        _payment_action(services.payment_fail, "Mark failed", reason="Marked failed in the admin"),
        _payment_action(services.payment_return, "Mark returned", reason="Marked returned in the admin"),
    ]

    def has_add_permission(self, request):
        return False


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    extra = 0
    can_delete = False
    readonly_fields = ["line_number", "date", "amount", "currency", "reference", "status", "payment", "fee", "reason"]


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin):
    list_display = ["filename", "format", "uploaded_by", "uploaded_at"]
    inlines = [StatementLineInline]
    readonly_fields = ["filename", "format", "mapping", "statement_id", "account", "uploaded_by", "uploaded_at"]
    exclude = ["file_hash"]


@admin.register(PayoutAccount)
class PayoutAccountAdmin(admin.ModelAdmin):
    """Read only, numbers masked, no export: accounts change on the finance pages, where four eyes
    and the organisation's notice apply, and an at-risk grantee's details stay with finance staff."""

    list_display = ["organization", "kind", "masked_number", "currency", "verification", "changed_by", "verified_by"]
    list_filter = ["kind", "verification", "currency"]
    search_fields = ["organization__name"]
    list_select_related = ["organization", "changed_by", "verified_by"]
    fields = ["organization", "kind", "masked_number", "currency", "verification", "changed_by", "changed_at",
              "verified_by", "verified_at", "rejection_reason", "retired"]
    readonly_fields = fields

    @admin.display(description="Account")
    def masked_number(self, account):
        return account.masked

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FundBankAccount)
class FundBankAccountAdmin(admin.ModelAdmin):
    """The fund's own accounts that batches are paid from (the pain.001 debtor)."""

    list_display = ["name", "fund", "currency", "iban", "account_number", "bic"]


@admin.register(BankCsvMapping)
class BankCsvMappingAdmin(admin.ModelAdmin):
    list_display = ["bank_name", "delimiter", "date_format", "decimal_comma", "fee_tolerance_amount",
                    "fee_tolerance_percent"]


@admin.register(PaymentBatch)
class PaymentBatchAdmin(admin.ModelAdmin):
    list_display = ["message_id", "currency", "state", "debtor_account", "created_by", "created_at"]
    list_filter = ["state", "currency"]
    readonly_fields = [f.name for f in PaymentBatch._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(BalanceReturn)
class BalanceReturnAdmin(admin.ModelAdmin):
    list_display = ["grant", "amount", "currency", "base_amount", "received_on", "reference", "recorded_by"]
    list_select_related = ["grant", "recorded_by"]
    readonly_fields = [f.name for f in BalanceReturn._meta.fields]

    def has_add_permission(self, request):
        return False
