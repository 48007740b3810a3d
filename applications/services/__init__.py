"""Every write on an application: drafting (its core fields, its answers to the call's own questions,
its documents), submitting, and each step of the intake lifecycle.

Views, admin actions, the demo and the historical-grant import all call these functions.
Each state change runs through fundops.audit.transition_with_audit inside one transaction,
so the new state and its audit row are saved together or not at all.
"""
from ._common import IMPORTED_NOTE, application_notice_context, notify_each, staff_application_url
from .drafts import (
    ANSWER_PREFIX, DRAFT_FIELDS, answer_error_key, answer_files_add, answer_problems, application_create_draft,
    application_form_for, application_update_draft, attachment_add, attachment_remove, attachments_add, clean_themes,
)
from .screening import (
    application_answer_info, application_decline, application_request_info, application_screen_in,
    application_withdraw,
)
from .submission import application_clock_alert, application_submit, eligibility_problems, submission_problems

__all__ = [
    "ANSWER_PREFIX", "DRAFT_FIELDS", "IMPORTED_NOTE", "answer_error_key", "answer_files_add", "answer_problems",
    "application_answer_info", "application_clock_alert", "application_create_draft", "application_decline",
    "application_form_for", "application_notice_context", "application_request_info", "application_screen_in",
    "application_submit", "application_update_draft", "application_withdraw", "attachment_add",
    "attachment_remove", "attachments_add", "clean_themes", "eligibility_problems", "notify_each",
    "staff_application_url", "submission_problems",
]
