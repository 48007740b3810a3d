"""Admin for review models: administrators inspect and correct; state changes still go
through reviews/services.py (the FSM status fields are read-only here)."""
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

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


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0
    fields = ["order", "title", "guidance", "max_score", "weight"]


@admin.register(Rubric)
class RubricAdmin(admin.ModelAdmin):
    list_display = ["fund", "mode", "updated_at"]
    list_filter = ["mode"]
    search_fields = ["fund__name"]
    inlines = [CriterionInline]


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ["title", "rubric", "max_score", "weight", "order"]
    list_filter = ["rubric__fund"]
    search_fields = ["title", "guidance"]


@admin.register(ReviewerPoolMember)
class ReviewerPoolMemberAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "fund", "added_at"]
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
    list_filter = ["status", "application__fund", "application__call"]
    search_fields = ["application__title", "reviewer__username", "reviewer__last_name", "application__organization__name"]
    readonly_fields = ["status", "application", "reviewer", "assigned_by", "assigned_at", "replaced_by"]
    date_hierarchy = "assigned_at"
    list_select_related = ["application", "reviewer", "assigned_by"]
    inlines = [DeclarationInline]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(MadeInTheWorkspace, admin.ModelAdmin):
    made_where = _(
        "A conflict of interest is declared by the reviewer themselves, in the reviewer workspace, before "
        "they see the application. Nothing was added."
    )
    list_display = ["assignment", "has_conflict", "declared_at"]
    list_filter = ["has_conflict", "assignment__application__fund"]
    search_fields = ["reason", "assignment__reviewer__username", "assignment__application__title"]
    readonly_fields = ["assignment", "has_conflict", "reason", "declared_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # declarations are kept forever


@admin.register(StandingConflict)
class StandingConflictAdmin(admin.ModelAdmin):
    list_display = ["reviewer", "organization", "declared_at"]
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
