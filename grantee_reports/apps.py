"""After the money: what each grant's grantee reports back (schedules, the report's state machine,
reminders), the grantee's grant page, closing the cycle, and the public learning library."""
from django.apps import AppConfig


class GranteeReportsConfig(AppConfig):
    name = "grantee_reports"
    verbose_name = "Grantee reports"

    def ready(self):
        from disbursements import hooks

        from . import hooks as report_hooks

        for hook_list, hook in (
            (hooks.AFTER_GRANT_APPROVED, report_hooks.after_grant_approved),
            (hooks.AFTER_PAYMENT_PAID, report_hooks.after_payment_paid),
            (hooks.AFTER_BALANCE_RETURN, report_hooks.after_balance_return),
        ):
            if hook not in hook_list:
                hook_list.append(hook)
