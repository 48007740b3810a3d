"""Administration of the shared core: people and roles, members, donors, funds, calls, money in,
and the admin's imports."""
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ImportExportMixin

from .audit import audit_trail
from .data_exchange.admin_import import import_job_confirm_view, import_job_view
from .models import AuditEntry, Call, Contribution, Donor, Fund, ImportJob, Notification, Organization, User
from .notifications.services import notification_send_again
from .resources import ContributionResource, DonorResource, EngineImportExportMixin, OrganizationResource
from .services import contribution_record, organization_set_at_risk


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Belongs to", {"fields": ("organization", "donor"), "description": "Applicants belong to a member organisation; donor users to a donor."}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Belongs to", {"fields": ("first_name", "last_name", "email", "organization", "donor", "groups")}),
    )
    list_display = ("username", "get_full_name", "email", "organization", "donor", "role_list", "is_active", "is_staff")
    list_filter = ("groups", "is_active", "is_staff", "is_superuser")
    search_fields = ("username", "first_name", "last_name", "email", "organization__name", "donor__name")
    autocomplete_fields = ("organization", "donor")
    list_select_related = ("organization", "donor")

    @admin.display(description="roles")
    def role_list(self, user):
        return ", ".join(group.name.replace("_", " ") for group in user.groups.all()) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")


class AtRiskForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept in the audit trail. Required to clear the flag."),
    )


@admin.register(Organization)
class OrganizationAdmin(EngineImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    # Import/export of CSV and XLSX through the same engine as `manage.py import_data`.
    resource_classes = [OrganizationResource]
    list_display = ("name", "org_id", "country_name", "region", "city", "registration_status", "at_risk", "member_since")
    # No country filter: 250 links, one per country known to django-countries. Search finds a country's members.
    list_filter = ("at_risk", "registration_status", "verification_status")
    show_full_result_count = False
    search_fields = ("name", "org_id", "city", "registration_number", "contact_name", "contact_email")
    # Verification goes through fundops.registration (audited), never a plain edit here.
    readonly_fields = ("public_ref", "created_at", "updated_at", "verification_status", "verified_by", "verified_at")
    change_form_template = "admin/fundops/organization/change_form.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["flag_at_risk"]
    fieldsets = (
        (None, {"fields": ("name", "org_id", "country", "city", "member_since")}),
        ("Registration", {"fields": ("registration_status", "registration_number", "verification_status",
                                     "verified_by", "verified_at")}),
        ("Contact", {"fields": ("contact_name", "contact_email", "contact_phone", "website")}),
        ("Safety", {"fields": ("at_risk", "public_ref"), "description": "At-risk organisations are never named in reports, exports or open data."}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="region")
    def region(self, organization):
        return organization.region

    @admin.display(description=gettext_lazy("country"), ordering="country")
    def country_name(self, organization):
        # The country's own name: the admin's default display of a choices field flattens all
        # 250 country choices once per row.
        return organization.country.name

    def get_readonly_fields(self, request, obj=None):
        # The flag changes only through organization_set_at_risk (the page behind "Change the
        # at-risk flag"), so every change has its audit row and clearing has its reason.
        if obj is not None:
            return self.readonly_fields + ("at_risk",)
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        flag = not change and obj.at_risk
        if flag:
            obj.at_risk = False  # created first, then flagged through the service, with its audit row
        super().save_model(request, obj, form, change)
        if flag:
            organization_set_at_risk(organization=obj, at_risk=True, by=request.user,
                                     reason=_("Flagged at risk when added in the admin."))
            obj.at_risk = True

    def get_urls(self):
        return [
            path("<path:object_id>/at-risk/", self.admin_site.admin_view(self.at_risk_view),
                 name="fundops_organization_at_risk"),
        ] + super().get_urls()

    @admin.action(description=gettext_lazy("Flag the selected organisations at risk"))
    def flag_at_risk(self, request, queryset):
        flagged = 0
        for organization in queryset.filter(at_risk=False):
            try:
                organization_set_at_risk(organization=organization, at_risk=True, by=request.user,
                                         reason=_("Flagged at risk from the organisations list."))
            except PermissionDenied as error:
                self.message_user(request, str(error), messages.ERROR)
                return
            flagged += 1
        self.message_user(request, _("%(count)d organisations flagged at risk.") % {"count": flagged}, messages.SUCCESS)

    def at_risk_view(self, request, object_id):
        """Flag an organisation at risk, or (administrators, with a reason) clear the flag."""
        organization = get_object_or_404(Organization, pk=object_id)
        if not self.has_view_permission(request, organization):
            raise PermissionDenied
        form = AtRiskForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                organization_set_at_risk(organization=organization, at_risk=not organization.at_risk,
                                         by=request.user, reason=form.cleaned_data["reason"])
            except PermissionDenied as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                organization.refresh_from_db()
                self.message_user(request, _("%(name)s is now flagged at risk.") % {"name": organization}
                                  if organization.at_risk else
                                  _("The at-risk flag of %(name)s is cleared.") % {"name": organization},
                                  messages.SUCCESS)
                return redirect(reverse("admin:fundops_organization_change", args=[organization.pk]))
        history = audit_trail(organization).filter(transition__in=["flag_at_risk", "clear_at_risk"]).order_by("-at")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": organization,
            "title": (_("Clear the at-risk flag of %(name)s") if organization.at_risk
                      else _("Flag %(name)s at risk")) % {"name": organization},
            "form": form,
            "may_clear": request.user.is_superuser,
            "history": history,
        }
        return TemplateResponse(request, "admin/fundops/organization/at_risk.html", context)


@admin.register(Donor)
class DonorAdmin(EngineImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    # Import/export of CSV and XLSX through the same engine as `manage.py import_data`.
    resource_classes = [DonorResource]
    list_display = ("name", "slug", "kind", "country", "contact_email")
    list_filter = ("kind", "country")
    search_fields = ("name", "slug", "contact_email")
    prepopulated_fields = {"slug": ("name",)}


class CallInline(admin.TabularInline):
    model = Call
    extra = 0
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "is_rolling", "opens_at", "closes_at")


@admin.register(Fund)
class FundAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "base_currency", "min_grant", "max_grant", "decision_target_hours", "reviews_required", "opens_on", "closes_on")
    list_filter = ("kind", "base_currency")
    search_fields = ("name", "slug", "grant_ref_prefix")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [CallInline]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ("name", "fund", "is_rolling", "opens_at", "closes_at")
    list_filter = ("fund", "is_rolling")
    list_select_related = ("fund",)
    search_fields = ("name", "slug", "fund__name")
    prepopulated_fields = {"slug": ("name",)}


class _DryRun(Exception):
    """Raised to roll back a trial run of the service while validating the admin form."""


class ContributionAddForm(forms.ModelForm):
    """Adding a contribution runs contribution_record: the service fixes the base amount."""

    class Meta:
        model = Contribution
        fields = ("fund", "donor", "amount", "currency", "fx_rate", "fx_date", "status", "pledged_on", "received_on", "reference", "note")

    def service_arguments(self):
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}

    def _post_clean(self):
        super()._post_clean()
        # Then try the service itself (and undo it): its rules are the ones that count.
        if self.errors:
            return
        try:
            with transaction.atomic():
                contribution_record(**self.service_arguments())
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as error:
            self._update_errors(error)


@admin.register(Contribution)
class ContributionAdmin(EngineImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    # Import/export of CSV and XLSX through the same engine as `manage.py import_data`.
    resource_classes = [ContributionResource]
    list_display = ("donor", "fund", "amount", "currency", "fx_rate", "base_amount", "status", "received_on", "reference")
    list_filter = ("fund", "status", "currency", "donor")
    search_fields = ("donor__name", "fund__name", "reference", "note")
    date_hierarchy = "received_on"
    list_select_related = ("donor", "fund")
    # Money already recorded is not re-typed: a correction is a new contribution with a note.
    change_readonly = ("fund", "donor", "amount", "currency", "fx_rate", "fx_date", "base_amount", "created_at")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ContributionAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj is not None else ("base_amount",)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ContributionAddForm.Meta.fields
        return self.change_readonly + ("status", "pledged_on", "received_on", "reference", "note")

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        recorded = contribution_record(**form.service_arguments())
        obj.pk, obj.amount, obj.fx_rate = recorded.pk, recorded.amount, recorded.fx_rate
        obj.base_amount, obj.created_at = recorded.base_amount, recorded.created_at
        obj._state.adding = False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail is evidence: it can be read and searched, never written or deleted here."""

    list_display = ("at", "content_type", "object_id", "transition", "from_state", "to_state", "actor", "short_note")
    # A date range filter rather than a date hierarchy, which reads every entry's date to draw itself.
    list_filter = ("content_type", "transition", "to_state", ("at", admin.DateFieldListFilter))
    show_full_result_count = False
    search_fields = ("note", "actor__username", "actor__last_name", "object_id")
    list_select_related = ("actor", "content_type")

    @admin.display(description="note")
    def short_note(self, entry):
        return (entry.note[:80] + "…") if len(entry.note) > 80 else entry.note

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Files imported from the admin: each one's progress page, and the history of imports.
    A job is made by a model's Import button and changed only by the worker."""

    list_display = ("created_at", "kind", "filename", "state", "rows_total", "created_by")
    list_filter = ("kind", "state")
    search_fields = ("filename", "created_by__username")
    list_select_related = ("created_by",)

    def get_queryset(self, request):
        jobs = super().get_queryset(request)
        return jobs if request.user.is_superuser else jobs.filter(created_by=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the history of imports is kept

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request.user.is_active and request.user.is_staff
        return request.user.is_superuser or obj.created_by_id == request.user.pk

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def get_urls(self):
        return [
            path("<path:object_id>/import/", self.admin_site.admin_view(self.confirm_view),
                 name="fundops_importjob_confirm"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return import_job_view(self, request, object_id)

    def confirm_view(self, request, object_id):
        return import_job_confirm_view(self, request, object_id)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Every notification and the state of its e-mail: failed sends are found here and sent again."""

    list_display = ("created_at", "recipient", "kind", "email_state", "attempts", "next_attempt_at", "sent_at", "read_at", "short_error")
    list_filter = ("email_state", "kind", ("created_at", admin.DateFieldListFilter))
    show_full_result_count = False
    search_fields = ("recipient__username", "recipient__email", "recipient__first_name", "recipient__last_name", "event_key")
    list_select_related = ("recipient",)
    readonly_fields = [field.name for field in Notification._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False  # notifications are written by the services, when something happens

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, notification):
        return notification.last_error[:80]

    @admin.action(description=gettext_lazy("Try sending again"))
    def send_again(self, request, queryset):
        retried = 0
        for notification in queryset.exclude(email_state=Notification.EmailState.SENT).filter(recipient__is_active=True):
            notification_send_again(notification=notification)
            retried += 1
        self.message_user(request, _("%(count)s e-mail(s) queued to be sent again.") % {"count": retried}, messages.SUCCESS)


def _index_with_failed_emails(index):
    """The admin's front page says how many e-mails could not be sent, linking to them."""

    def wrapped(request, extra_context=None):
        extra_context = dict(extra_context or {})
        if request.user.has_perm("fundops.view_notification"):
            extra_context["failed_notifications"] = Notification.objects.filter(
                email_state=Notification.EmailState.FAILED
            ).count()
        return index(request, extra_context)

    return wrapped


admin.site.index = _index_with_failed_emails(admin.site.index)
