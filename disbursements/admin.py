"""Admin for awards, tranches and payments; payment transitions run through the services."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from import_export.admin import ImportExportMixin

from fundops.audit import TransitionNotAllowed
from fundops.resources import EngineImportExportMixin

from . import services
from .models import BankStatement, Grant, Payment, StatementLine, Tranche
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
    list_filter = ["status", "fund", "currency"]
    search_fields = ["reference", "public_reference", "organization__name", "application__title"]
    date_hierarchy = "decided_at"
    list_select_related = ["organization", "fund"]
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
    list_filter = ["state", "currency", "grant__fund"]
    search_fields = ["reference", "grant__reference", "grant__organization__name"]
    date_hierarchy = "paid_on"
    list_select_related = ["grant", "tranche", "scheduled_by", "approved_by"]
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
    readonly_fields = ["line_number", "date", "amount", "currency", "reference", "status", "payment", "reason"]


@admin.register(BankStatement)
class BankStatementAdmin(admin.ModelAdmin):
    list_display = ["filename", "uploaded_by", "uploaded_at"]
    inlines = [StatementLineInline]
    readonly_fields = ["filename", "uploaded_by", "uploaded_at"]
