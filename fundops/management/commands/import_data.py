"""`manage.py import_data <kind> FILE [--dry-run]`: a fund's history from CSV or XLSX, all or nothing."""
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fundops.data_exchange import KINDS, ImportRefused, Progress, run_import

# Files at least this long say how far the check has got (on stderr), so a long import is not silent.
PROGRESS_FROM_ROWS = 5000


class Command(BaseCommand):
    help = "Import organizations, donors, contributions, grants or payments from a CSV or XLSX file (docs/data-formats.md)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, write nothing.")
        parser.add_argument("--user", help="Username recorded as the importer in the audit trail (default: none).")

    def handle(self, *args, kind, file, dry_run, user=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user called “{user}”.")
        try:
            report = run_import(kind, path.read_bytes(), filename=path.name, by=by, dry_run=dry_run,
                                progress=Progress(self._progress if options.get("verbosity", 1) else None))
        except ImportRefused as refused:
            for problem in refused.problems:
                self.stderr.write(str(problem))
            count = len(refused.problems)
            raise CommandError(
                f"Nothing was imported from {path.name}: {count} problem{'s' if count != 1 else ''} to fix (listed above)."
            )
        self.stdout.write(report.summary())

    def _progress(self, stage, done, total):
        if total < PROGRESS_FROM_ROWS:
            return
        if stage == "writing":
            self.stderr.write(f"All {total} rows checked; writing them in one transaction…")
        else:
            self.stderr.write(f"Checked {done} of {total} rows…")
