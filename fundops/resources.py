"""django-import-export resources for the core (organisations, donors, contributions).

Imports do not use django-import-export's row-by-row saving: every resource hands the file to
fundops.data_exchange (the engine behind `manage.py import_data`), so the admin and the command
check the same things, say the same messages, and write all or nothing through the same services.
Exports write exactly the import columns, so an exported file imports back unchanged.
"""
import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from import_export import fields, resources
from import_export.formats.base_formats import CSV, XLSX
from import_export.results import Result, RowResult

from fundops.data_exchange import ImportRefused, Sheet, import_sheet, read_sheet
from fundops.data_exchange.core import CONTRIBUTION_COLUMNS, DONOR_COLUMNS, ORGANIZATION_COLUMNS
from fundops.models import Contribution, Donor, Organization
from fundops.money import quantize


# File formats: read raw bytes, so the admin gets the engine's encoding fallback (UTF-8, BOM,
# Latin-1) and exact XLSX numbers, instead of django-import-export's own decoding.


class _SheetDataset(tablib.Dataset):
    """A tablib Dataset carrying the engine's Sheet (row numbers as in the file, typed cells)."""

    fundops_sheet = None

    def __bool__(self):
        # Let an empty file reach the engine, which says precisely what is missing.
        return True


def _dataset_from_bytes(data, filename):
    sheet = read_sheet(data, filename)
    dataset = _SheetDataset()
    if sheet.headers:
        dataset.headers = sheet.headers
        for _, cells, _ in sheet.rows:
            dataset.append([cells.get(name) for name in sheet.headers])
    dataset.fundops_sheet = sheet
    return dataset


class FileCSV(CSV):
    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        return _dataset_from_bytes(in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8"), "file.csv")


class FileXLSX(XLSX):
    def create_dataset(self, in_stream, **kwargs):
        return _dataset_from_bytes(in_stream, "file.xlsx")


IMPORT_FORMATS = [FileCSV, FileXLSX]
EXPORT_FORMATS = [CSV, XLSX]


def sheet_from_dataset(dataset):
    """The engine's Sheet for a Dataset: the one read from the file, or one built from rows."""
    sheet = getattr(dataset, "fundops_sheet", None)
    if sheet is not None:
        return sheet
    headers = [str(h or "").strip().lower() for h in (dataset.headers or [])]
    rows = [(number, dict(zip(headers, values)), []) for number, values in enumerate(dataset, start=2)]
    return Sheet(headers=headers, rows=rows, encoding="")


def plain(value):
    """A Decimal as plain digits (no exponent, no trailing zeros): what the import reads back."""
    return "" if value is None else format(value.normalize(), "f")


class EngineResource(resources.ModelResource):
    """A resource whose import runs the fundops import engine for `import_kind`."""

    import_kind = ""

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        sheet = sheet_from_dataset(dataset)
        result = Result()
        result.diff_headers = list(sheet.headers)
        result.total_rows = len(sheet.rows)
        try:
            report = import_sheet(self.import_kind, sheet, by=kwargs.get("user"), dry_run=dry_run)
        except ImportRefused as refused:
            if raise_errors:
                raise
            cells_by_row = {number: cells for number, cells, _ in sheet.rows}
            by_row = {}
            for problem in refused.problems:
                by_row.setdefault(problem.row, {}).setdefault(problem.column or NON_FIELD_ERRORS, []).append(
                    problem.message
                )
            for number, errors in by_row.items():
                cells = cells_by_row.get(number, {})
                result.append_invalid_row(
                    number, {name: cells.get(name) for name in sheet.headers}, ValidationError(errors)
                )
            return result
        cells_by_row = {number: cells for number, cells, _ in sheet.rows}
        import_types = {"created": RowResult.IMPORT_TYPE_NEW, "updated": RowResult.IMPORT_TYPE_UPDATE,
                        "skipped": RowResult.IMPORT_TYPE_SKIP}
        for number, outcome in report.outcomes:
            row_result = RowResult()
            row_result.import_type = import_types[outcome]
            row_result.number = number
            row_result.diff = ["" if cells_by_row[number].get(name) is None else cells_by_row[number][name]
                               for name in sheet.headers]
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        return result


class OrganizationResource(EngineResource):
    import_kind = "organizations"
    org_id = fields.Field(attribute="org_id", column_name="org_id")
    name = fields.Field(attribute="name", column_name="name")
    country = fields.Field(column_name="country")
    city = fields.Field(attribute="city", column_name="city")
    registration_status = fields.Field(attribute="registration_status", column_name="registration_status")
    registration_number = fields.Field(attribute="registration_number", column_name="registration_number")
    at_risk = fields.Field(column_name="at_risk")
    member_since = fields.Field(column_name="member_since")
    contact_email = fields.Field(attribute="contact_email", column_name="contact_email")

    class Meta:
        model = Organization
        fields = ORGANIZATION_COLUMNS
        export_order = ORGANIZATION_COLUMNS

    def dehydrate_country(self, organization):
        return organization.country.code

    def dehydrate_at_risk(self, organization):
        return "true" if organization.at_risk else "false"

    def dehydrate_member_since(self, organization):
        return organization.member_since.isoformat() if organization.member_since else ""


class DonorResource(EngineResource):
    import_kind = "donors"
    donor_id = fields.Field(attribute="slug", column_name="donor_id")
    name = fields.Field(attribute="name", column_name="name")
    kind = fields.Field(attribute="kind", column_name="kind")
    country = fields.Field(column_name="country")

    class Meta:
        model = Donor
        fields = DONOR_COLUMNS
        export_order = DONOR_COLUMNS

    def dehydrate_country(self, donor):
        return donor.country.code or ""


class ContributionResource(EngineResource):
    import_kind = "contributions"
    fund = fields.Field(column_name="fund")
    donor_id = fields.Field(column_name="donor_id")
    amount = fields.Field(column_name="amount")
    currency = fields.Field(attribute="currency", column_name="currency")
    fx_rate = fields.Field(column_name="fx_rate")
    received_on = fields.Field(column_name="received_on")
    status = fields.Field(attribute="status", column_name="status")

    class Meta:
        model = Contribution
        fields = CONTRIBUTION_COLUMNS
        export_order = CONTRIBUTION_COLUMNS

    def get_queryset(self):
        return Contribution.objects.select_related("fund", "donor")

    def dehydrate_fund(self, contribution):
        return contribution.fund.slug

    def dehydrate_donor_id(self, contribution):
        return contribution.donor.slug

    def dehydrate_amount(self, contribution):
        return plain(quantize(contribution.amount, contribution.currency))

    def dehydrate_fx_rate(self, contribution):
        return plain(contribution.fx_rate)

    def dehydrate_received_on(self, contribution):
        return contribution.received_on.isoformat() if contribution.received_on else ""


class EngineImportExportMixin:
    """Admin import/export for a model whose resource runs the import engine.

    Reads files as raw bytes (the engine decides the encoding), exports CSV/XLSX, and leaves
    Django's admin log alone: the audit trail records imported history, and 10,000 LogEntry
    rows per members file would only slow the import.
    """

    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS
    skip_admin_log = True
