"""Send today's grantee-report reminders now (for cron, or a worker that cannot wait), or queue the
daily run (--queue). Idempotent: a reminder already sent is not sent again."""
from django.core.management.base import BaseCommand

from grantee_reports.services import report_reminders_send
from grantee_reports.tasks import schedule_reminders


class Command(BaseCommand):
    help = "Remind grantees of reports due in a week, due today, or overdue (weekly); --queue starts the daily run."

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="Queue the daily run in the worker instead.")

    def handle(self, *args, **options):
        if options["queue"]:
            result = schedule_reminders()
            self.stdout.write("Daily report reminders queued." if result else
                              "A daily run is already queued (or the task backend cannot wait): nothing queued.")
            return
        reminded = report_reminders_send()
        self.stdout.write(f"Reminded grantees of {reminded} report{'s' if reminded != 1 else ''}.")
