"""Grantee reports in the admin: read and search. Reports change state only through their pages
(services.py), so the state is read-only here."""
from django.contrib import admin

from .models import GrantDocument, GrantReport, LearningEntry, ReportBudgetLine, ReportRequirement


@admin.register(ReportRequirement)
class ReportRequirementAdmin(admin.ModelAdmin):
    list_display = ["title", "fund", "kind", "due_rule", "gates_next_tranche", "order"]
    list_filter = ["fund", "kind", "due_rule"]
    search_fields = ["title", "fund__name"]


class BudgetLineInline(admin.TabularInline):
    model = ReportBudgetLine
    extra = 0
    can_delete = False
    readonly_fields = ["label", "amount", "order"]


@admin.register(GrantReport)
class GrantReportAdmin(admin.ModelAdmin):
    list_display = ["title", "grant", "kind", "due_on", "state"]
    list_filter = ["state", "kind", "grant__fund"]
    search_fields = ["title", "grant__reference", "grant__organization__name"]
    date_hierarchy = "due_on"
    inlines = [BudgetLineInline]
    # Read-only: a report changes through its pages (grantee_reports/services), each step audited.
    readonly_fields = [
        "grant", "requirement", "kind", "title", "order", "due_on", "due_on_moved", "state", "narrative",
        "questionnaire", "answers", "gated_tranche", "submitted_at", "submitted_by", "first_submitted_at",
        "changes_comment", "accepted_at", "accepted_by",
    ]

    def has_add_permission(self, request):
        return False  # a grant's reports come from its fund's requirements, on approval


@admin.register(LearningEntry)
class LearningEntryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "language", "consent_publish", "consent_region"]
    list_filter = ["language", "consent_publish"]
    search_fields = ["text"]
    raw_id_fields = ["report"]


@admin.register(GrantDocument)
class GrantDocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "grant", "kind", "uploaded_at"]
    raw_id_fields = ["grant"]
    readonly_fields = ["file", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
