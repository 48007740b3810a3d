"""`manage.py export_360giving <fund-slug> --output FILE.json`: the fund's grants as 360Giving open data."""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fundops.models import Fund
from reports.open_data import default_schema_dir, grant_package, package_errors


class Command(BaseCommand):
    help = "Write a fund's grants as a 360Giving grant package (JSON), checked against the 360Giving schema."

    def add_arguments(self, parser):
        parser.add_argument("fund", help="The fund's slug, e.g. covid19-grassroots-justice.")
        parser.add_argument("--output", required=True, help="Where to write the JSON file.")
        parser.add_argument("--schema-dir", help="Folder holding the 360Giving schemas (default: ../shared/data/360giving).")

    def handle(self, *args, fund, output, schema_dir=None, **options):
        fund_obj = Fund.objects.filter(slug=fund).first()
        if fund_obj is None:
            slugs = ", ".join(Fund.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No fund has the slug “{fund}” (funds: {slugs}).")
        package = grant_package(fund_obj)
        if not package["grants"]:
            raise CommandError(f"{fund_obj.name} has no grants to publish yet (360Giving needs at least one).")
        schema_dir = Path(schema_dir) if schema_dir else default_schema_dir()
        if (schema_dir / "360-giving-package-schema.json").is_file():
            errors = package_errors(package, schema_dir)
            if errors:
                for error in errors:
                    self.stderr.write(error)
                raise CommandError(f"The package does not validate against the 360Giving schema ({len(errors)} errors); nothing written.")
            checked = "valid against the 360Giving schema"
        else:
            checked = f"NOT validated: no 360Giving schema in {schema_dir}"
        Path(output).write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.stdout.write(f"Wrote {len(package['grants'])} grants of {fund_obj.name} to {output} ({checked}).")
