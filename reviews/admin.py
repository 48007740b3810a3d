"""Admin for review models: administrators inspect and correct; state changes still go
through reviews/services.py (the FSM status fields are read-only here)."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    Assignment,
    ConflictDeclaration,
    Criterion,
    PanelTieBreak,
    PanelVote,
    Review,
    ReviewerPoolMember,
    Rubric,
    Score,
    StandingConflict,
)


class RubricAdminForm(forms.ModelForm):
    """A scored rubric refuses every change here as in the editor: reviews/services/rubrics.py
    decides, and its message says to make a new version."""

    class Meta:
        model = Rubric
        fields = ["fund", "call", "mode", "instructions"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:  # nothing of a scored rubric is editable: saving it is refused outright
            try:
                services.rubric_refuse_if_scored(self.instance)
            except services.RubricFrozen as error:
                raise forms.ValidationError(
                    [*error.messages, _("Select it in the list and run the action “Make a new version”.")]
                ) from error
        call = cleaned.get("call")
        if call is not None and cleaned.get("fund") is not None and call.fund_id != cleaned["fund"].pk:
            self.add_error("call", _("The call belongs to another fund."))
        return cleaned


class CriterionFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        changed = any(form.has_changed() for form in self.forms) or bool(self.deleted_forms)
        if self.instance.pk and changed:
            try:
                services.rubric_refuse_if_scored(self.instance)
            except services.RubricFrozen as error:
                raise forms.ValidationError(error.messages) from error


class CriterionInline(admin.TabularInline):
    """Read-only once the rubric has been scored against (a new version is made to change it)."""

    model = Criterion
    formset = CriterionFormSet
    extra = 0
    fields = ["order", "title", "guidance", "max_score", "weight"]

    def _scored(self, obj):
        return obj is not None and obj.pk is not None and services.rubric_is_scored(obj)

    def get_readonly_fields(self, request, obj=None):
        return self.fields if self._scored(obj) else []

    def has_add_permission(self, request, obj=None):
        return not self._scored(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._scored(obj) and super().has_delete_permission(request, obj)


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    """Rubrics are built on the program officers' rubric editor; here an administrator can correct
    one not yet scored against, and make a new version of one that has been."""

    form = RubricAdminForm
    list_display = ["__str__", "fund", "call", "version", "mode", "frozen_at", "updated_at"]
    list_filter = ["mode", "fund"]
    list_select_related = ["fund", "call", "call__fund"]
    search_fields = ["fund__name", "call__name"]
    readonly_fields = ["version", "previous", "frozen_at", "created_by", "created_at"]
    inlines = [CriterionInline]
    actions = ["make_new_version"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        if obj is not None:  # a rubric stays with its fund and call; a copy is made for another call
            readonly += ["fund", "call"]
            if services.rubric_is_scored(obj):
                readonly += ["mode", "instructions"]
        return readonly

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rubric = self.get_object(request, object_id)
        if rubric is not None and request.method == "GET" and services.rubric_is_scored(rubric):
            messages.warning(request, _(
                "Reviews have been scored against this rubric (version %(version)s): it cannot change. To change it, "
                "make a new version (the action “Make a new version” in the list, or the rubric editor)."
            ) % {"version": rubric.version})
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        # Through the services, so the same rules and audit rows apply as on the editor page.
        data = form.cleaned_data
        if change:
            services.rubric_update(rubric=obj, by=request.user, mode=data.get("mode", obj.mode),
                                   instructions=data.get("instructions", obj.instructions))
        else:
            created = services.rubric_create(fund=data["fund"], call=data.get("call"), by=request.user,
                                             mode=data["mode"], instructions=data["instructions"])
            obj.pk = created.pk
            obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        rubric = form.instance
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            services.criterion_remove(criterion=deleted, by=request.user)
        for criterion in instances:
            values = {"title": criterion.title, "guidance": criterion.guidance, "max_score": criterion.max_score,
                      "weight": criterion.weight}
            if criterion.pk is None:
                services.criterion_add(rubric=rubric, by=request.user, order=criterion.order, **values)
            else:
                services.criterion_update(criterion=criterion, by=request.user, **values)
                Criterion.objects.filter(pk=criterion.pk).update(order=criterion.order)

    @admin.action(description=_("Make a new version (of a rubric scored against)"))
    def make_new_version(self, request, queryset):
        for rubric in queryset:
            try:
                new = services.rubric_new_version(rubric=rubric, by=request.user)
            except ValidationError as error:
                messages.error(request, f"{rubric}: {' '.join(error.messages)}")
            else:
                messages.success(request, _("%(rubric)s is made; new reviews use it.") % {"rubric": new})


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """Criteria are changed with their rubric (the rubric's page or editor), where the rule that a
    scored rubric cannot change is applied; here they are only looked at."""

    list_display = ["title", "rubric", "max_score", "weight", "order"]
    list_filter = ["rubric__fund"]
    list_select_related = ["rubric__fund", "rubric__call"]
    search_fields = ["title", "guidance"]
    readonly_fields = ["rubric", "title", "guidance", "max_score", "weight", "order"]

    def add_view(self, request, form_url="", extra_context=None):
        messages.error(request, _("Add a criterion on its rubric's page (or the rubric editor). Nothing was added."))
        return redirect(reverse("admin:reviews_rubric_changelist"))

    def save_model(self, request, obj, form, change):
        pass  # every field is read-only here

    def delete_model(self, request, obj):
        services.criterion_remove(criterion=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for criterion in queryset:
            services.criterion_remove(criterion=criterion, by=request.user)


@admin.register(ReviewerPoolMember)
class ReviewerPoolMemberAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "fund", "added_at"]
    list_select_related = ["reviewer", "fund"]
    list_filter = ["fund"]
    search_fields = ["reviewer__username", "reviewer__first_name", "reviewer__last_name"]
    raw_id_fields = ["reviewer"]


class MadeInTheWorkspace:
    """For rows that only a service makes (an assignment, a declaration, a review): every field is
    read-only here, so an add form could only save an empty row. The add page says where to go."""

    made_where = ""

    def has_add_permission(self, request):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        messages.error(request, self.made_where)
        opts = self.model._meta
        return redirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))


class DeclarationInline(admin.TabularInline):
    model = ConflictDeclaration
    extra = 0
    readonly_fields = ["has_conflict", "reason", "declared_at"]
    can_delete = False


@admin.register(Assignment)
class AssignmentAdmin(MadeInTheWorkspace, admin.ModelAdmin):
    made_where = _(
        "Reviewers are assigned on the program officer's pages of the reviewer workspace, where conflicts "
        "and workloads are checked. Nothing was added."
    )
    list_display = ["application", "reviewer", "status", "assigned_at", "due_at", "assigned_by"]
    list_filter = ["status", "application__fund", ("assigned_at", admin.DateFieldListFilter)]
    search_fields = ["application__title", "reviewer__username", "reviewer__last_name", "application__organization__name"]
    readonly_fields = ["status", "application", "reviewer", "assigned_by", "assigned_at", "replaced_by"]
    list_select_related = ["application", "reviewer", "assigned_by"]
    inlines = [DeclarationInline]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(MadeInTheWorkspace, admin.ModelAdmin):
    made_where = _(
        "A conflict of interest is declared by the reviewer themselves, in the reviewer workspace, before "
        "they see the application. Nothing was added."
    )
    list_display = ["assignment", "has_conflict", "declared_at"]
    list_select_related = ["assignment__application", "assignment__reviewer"]
    list_filter = ["has_conflict", "assignment__application__fund"]
    search_fields = ["reason", "assignment__reviewer__username", "assignment__application__title"]
    readonly_fields = ["assignment", "has_conflict", "reason", "declared_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # declarations are kept forever


@admin.register(StandingConflict)
class StandingConflictAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "organization", "declared_at"]
    list_select_related = ["reviewer", "organization"]
    search_fields = ["reviewer__username", "reviewer__last_name", "organization__name", "reason"]
    raw_id_fields = ["reviewer", "organization", "declaration"]


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    readonly_fields = ["criterion", "score", "comment"]
    can_delete = False


@admin.register(Review)
class ReviewAdmin(MadeInTheWorkspace, admin.ModelAdmin):
    made_where = _("A review is written by its reviewer in the reviewer workspace. Nothing was added.")
    list_display = ["assignment", "status", "recommendation", "weighted_score", "submitted_at", "reopened_at"]
    list_filter = ["status", "recommendation", "assignment__application__fund"]
    search_fields = ["assignment__application__title", "assignment__reviewer__username", "comment"]
    readonly_fields = ["assignment", "status", "weighted_score", "submitted_at", "reopened_at", "reopened_by"]
    list_select_related = ["assignment__application", "assignment__reviewer"]
    inlines = [ScoreInline]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ["review", "criterion", "score"]
    list_filter = ["criterion__rubric__fund"]
    search_fields = ["comment", "criterion__title"]
    raw_id_fields = ["review", "criterion"]


@admin.register(PanelVote)
class PanelVoteAdmin(admin.ModelAdmin):
    list_display = ["application", "member", "vote", "cast_at"]
    list_filter = ["vote", "application__fund"]
    search_fields = ["application__title", "member__username", "note"]
    raw_id_fields = ["application", "member"]


@admin.register(PanelTieBreak)
class PanelTieBreakAdmin(admin.ModelAdmin):
    list_display = ["application", "vote", "decided_by", "decided_at"]
    list_filter = ["vote"]
    search_fields = ["application__title", "note"]
    raw_id_fields = ["application", "decided_by"]
