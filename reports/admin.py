from django.contrib import admin

from .models import ReportRequest


@admin.register(ReportRequest)
class ReportRequestAdmin(admin.ModelAdmin):
    list_display = ["fund", "donor", "period_start", "period_end", "format", "status", "requested_by", "requested_at"]
    list_filter = ["status", "format", "fund"]
    search_fields = ["fund__name", "donor__name"]
    readonly_fields = ["task_id", "requested_at", "started_at", "finished_at"]
    date_hierarchy = "requested_at"
