"""Write a fund's donor report to a file: the same builder and formats the donor portal uses."""
import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fundops.models import Donor, Fund
from reports.builders import default_period
from reports.renderers import FORMATS
from reports.services import file_donor_report


def _date(text, option):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option} “{text}” is not a date: use YYYY-MM-DD, e.g. 2026-01-31.")


class Command(BaseCommand):
    help = "Write a fund's donor report (PDF, XLSX or CSV by country) for a period, optionally for one donor."

    def add_arguments(self, parser):
        parser.add_argument("fund", help="the fund's slug, e.g. covid19-grassroots-justice")
        parser.add_argument("--format", choices=sorted(FORMATS), required=True)
        parser.add_argument("--output", required=True, help="file to write")
        parser.add_argument("--from", dest="start", help="first day of the period (YYYY-MM-DD); default: the fund's opening")
        parser.add_argument("--to", dest="end", help="last day of the period, inclusive (YYYY-MM-DD); default: today")
        parser.add_argument("--donor", help="a donor's id (slug): show their contributions and share on the cover")

    def handle(self, *args, fund, format, output, start=None, end=None, donor=None, **options):
        try:
            fund_obj = Fund.objects.get(slug=fund)
        except Fund.DoesNotExist:
            known = ", ".join(Fund.objects.values_list("slug", flat=True)[:20]) or "none yet"
            raise CommandError(f"No fund “{fund}”. Known funds: {known}.")
        donor_obj = None
        if donor:
            donor_obj = Donor.objects.filter(slug=donor).first()
            if donor_obj is None:
                raise CommandError(f"No donor “{donor}”.")
            if not fund_obj.contributions.filter(donor=donor_obj).exists():
                raise CommandError(f"{donor_obj} has not contributed to {fund_obj}.")
        period = default_period(fund_obj, start and _date(start, "--from"), end and _date(end, "--to"))
        if period.end < period.start:
            raise CommandError(f"--to {period.end} is before --from {period.start}.")
        content = file_donor_report(fund=fund_obj, period=period, fmt=format, donor=donor_obj)
        path = Path(output)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.")
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} ({len(content):,} bytes): {fund_obj.name}, {period}."))
