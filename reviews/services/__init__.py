"""Every write about reviews, by noun: rubrics (versions, criteria, copies), assignments (pool,
automatic spreading, reminders, recusals), reviews (drafts, submission, reopening) and panel votes.

State changes go through fundops.audit.transition_with_audit, so each one and its audit row are
saved together; rows a service creates (an assignment, a rubric change) write their own audit row
in the same transaction. `from reviews.services import x` works for every public name here.
"""
from ..selectors import rubric_for
from ._common import DEFAULT_REVIEW_DAYS, OUT_OF_REVIEW_STATES
from .assignments import (
    assignment_cancel,
    assignment_create,
    assignment_remind,
    assignment_replace,
    assignments_auto,
    assignments_cancel_open,
    conflict_declare,
    reviewer_pool,
    reviewer_pool_add,
)
from .panel import panel_tie_break, panel_vote_cast
from .reviews import review_reopen, review_save_draft, review_submit
from .rubrics import (
    RubricFrozen,
    criterion_add,
    criterion_move,
    criterion_remove,
    criterion_update,
    rubric_copy,
    rubric_create,
    rubric_freeze,
    rubric_is_scored,
    rubric_new_version,
    rubric_refuse_if_scored,
    rubric_set,
    rubric_update,
)

__all__ = [
    "DEFAULT_REVIEW_DAYS", "OUT_OF_REVIEW_STATES",
    "assignment_cancel", "assignment_create", "assignment_remind", "assignment_replace", "assignments_auto",
    "assignments_cancel_open", "conflict_declare", "reviewer_pool", "reviewer_pool_add",
    "panel_tie_break", "panel_vote_cast",
    "review_reopen", "review_save_draft", "review_submit",
    "RubricFrozen", "criterion_add", "criterion_move", "criterion_remove", "criterion_update", "rubric_copy",
    "rubric_create", "rubric_for", "rubric_freeze", "rubric_is_scored", "rubric_new_version", "rubric_refuse_if_scored", "rubric_set",
    "rubric_update",
]
