"""Administration of applications. The state is read-only here: transitions are admin actions
that call the same services as the portal, so the same rules and audit rows apply."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fundops.audit import TransitionNotAllowed

from . import services
from .models import Application, Attachment, InfoRequest


def _run_for_each(modeladmin, request, queryset, label, service, **kwargs):
    """Apply a service to each selected application; report what worked and each refusal."""
    done = 0
    for application in queryset:
        try:
            service(application=application, by=request.user, **kwargs)
            done += 1
        except (TransitionNotAllowed, PermissionDenied, ValidationError) as error:
            text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(request, f"“{application}”: {text}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{label}: {done} application{'s' if done != 1 else ''}.", messages.SUCCESS)


class DeclineReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 70}),
        help_text="Every selected applicant will read this reason.",
    )


class InfoRequestInline(admin.TabularInline):
    model = InfoRequest
    extra = 0
    can_delete = False
    fields = ("asked_at", "asked_by", "question", "answered_at", "answer")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ("kind", "download", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # uploads go through the portal, where their content is checked

    @admin.display(description="file")
    def download(self, attachment):
        return format_html('<a href="{}">{}</a>', reverse("applications:attachment", args=[attachment.pk]), attachment.original_name)


class CallFilter(admin.SimpleListFilter):
    """The calls in one query (a call's name reads its fund's: `Call.__str__`), not one per call."""

    title = _("call")
    parameter_name = "call__id__exact"

    def lookups(self, request, model_admin):
        from fundops.models import Call

        calls = Call.objects.select_related("fund").only("id", "name", "fund__name").order_by("fund__name", "name")
        return [(str(call.pk), str(call)) for call in calls]

    def queryset(self, request, queryset):
        return queryset.filter(call_id=self.value()) if self.value() else queryset


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("title_or_untitled", "organization", "fund", "call", "state", "requested_amount", "currency", "submitted_at", "decided_at")
    # No country filter (250 links, most of them empty) and no date hierarchy (it reads every row's
    # date to draw its years and months): the submission date filter's ranges cost nothing.
    list_filter = ("state", "fund", CallFilter, "organization__at_risk", ("submitted_at", admin.DateFieldListFilter))
    search_fields = ("title", "summary", "organization__name", "organization__org_id")
    # Everything the row's links and `__str__`s read, in the list's one query (Call.__str__ reads fund.name).
    list_select_related = ("organization", "fund", "call", "call__fund")
    # The total of the unfiltered table is a second COUNT(*) over every application: not shown.
    show_full_result_count = False
    autocomplete_fields = ("organization",)
    readonly_fields = ("state", "created_by", "created_at", "updated_at", "submitted_at", "decided_at", "decline_reason", "staff_page")
    inlines = [AttachmentInline, InfoRequestInline]
    actions = ["screen_in", "decline", "withdraw"]
    fieldsets = (
        (None, {"fields": ("organization", "fund", "call", "state", "staff_page")}),
        ("The proposal", {"fields": ("title", "summary", "themes", "countries")}),
        ("Money and dates", {"fields": ("requested_amount", "requested_currency", "planned_start", "planned_end")}),
        ("Record", {"fields": ("created_by", "created_at", "updated_at", "submitted_at", "decided_at", "decline_reason")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Past the draft, what the organisation submitted is the record: read-only here too.
        if obj is not None and obj.state != "draft":
            return [f.name for f in Application._meta.fields if f.name != "id"] + ["staff_page"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in services.DRAFT_FIELDS if name in form.cleaned_data}
        if change:
            services.application_update_draft(application=obj, by=request.user, **fields)
        else:
            created = services.application_create_draft(
                organization=form.cleaned_data["organization"], fund=form.cleaned_data["fund"],
                call=form.cleaned_data.get("call"), by=request.user, **fields,
            )
            obj.pk = created.pk
            obj._state.adding = False

    @admin.display(description=_("currency"), ordering="requested_currency")
    def currency(self, application):
        # The ISO code as stored: the default display of a choices field flattens every currency once per row.
        return application.requested_currency or "—"

    @admin.display(description="title", ordering="title")
    def title_or_untitled(self, application):
        return str(application)

    @admin.display(description="screening page")
    def staff_page(self, application):
        if not application.pk:
            return "—"
        return format_html('<a href="{}">Open the screening page</a>', reverse("applications:review_detail", args=[application.pk]))

    @admin.action(description="Screen in for review")
    def screen_in(self, request, queryset):
        _run_for_each(self, request, queryset, "Screened in", services.application_screen_in)

    @admin.action(description="Withdraw (on the organisation's behalf)")
    def withdraw(self, request, queryset):
        _run_for_each(self, request, queryset, "Withdrawn", services.application_withdraw, note="Withdrawn by an administrator.")

    @admin.action(description="Decline… (asks for the reason)")
    def decline(self, request, queryset):
        form = DeclineReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            _run_for_each(self, request, queryset, "Declined", services.application_decline, reason=form.cleaned_data["reason"])
            return None
        return TemplateResponse(
            request,
            "applications/admin_decline.html",
            {
                **self.admin_site.each_context(request),
                "title": "Decline applications",
                "form": form,
                "applications": queryset,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )


@admin.register(InfoRequest)
class InfoRequestAdmin(admin.ModelAdmin):
    list_display = ("application", "asked_at", "asked_by", "answered_at")
    list_select_related = ("application", "asked_by")
    list_filter = ("application__fund",)
    search_fields = ("question", "answer", "application__title", "application__organization__name")
    readonly_fields = ("application", "question", "asked_by", "asked_at", "answer", "answered_by", "answered_at")

    def has_add_permission(self, request):
        return False  # questions are asked from the screening page, which moves the state


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "kind", "application", "content_type", "size", "uploaded_by", "uploaded_at")
    list_select_related = ("application", "uploaded_by")
    list_filter = ("kind", "content_type")
    search_fields = ("original_name", "application__title", "application__organization__name")
    readonly_fields = ("application", "kind", "download", "original_name", "content_type", "size", "uploaded_by", "uploaded_at")
    exclude = ("file",)

    @admin.display(description="file")
    def download(self, attachment):
        return format_html('<a href="{}">Download {}</a>', reverse("applications:attachment", args=[attachment.pk]), attachment.original_name)

    def has_add_permission(self, request):
        return False
