"""Every write about grantee reports, one module per noun: schedules (a fund's requirements and each
grant's report schedule), reports (drafts and the state machine), closing (the cycle's end),
reminders. Views, hooks, tasks and the demo call these names from here."""
from ._common import is_own_grantee  # noqa: F401
from .closing import final_report_accepted, grant_close_if_complete, grant_spent, money_settled  # noqa: F401
from .reminders import reminder_for, report_reminders_send  # noqa: F401
from .reports import (  # noqa: F401
    report_accept, report_attachment_remove, report_draft_save, report_problems, report_request_changes, report_submit,
    signed_letter_upload,
)
from .schedules import (  # noqa: F401
    RAPID_DEFAULT, due_on_for, grant_schedule_create, latest_version, refresh_hold, report_due_date_change,
    requirement_questionnaire, requirement_remove, requirement_save, requirements_for, schedule_follow_payments,
)
