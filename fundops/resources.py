"""django-import-export resources for the core (organisations, donors, contributions), and the
admin mixin every importable model uses.

Exports write exactly the import columns, so an exported file imports back unchanged, and every
cell goes through `export_cell`: text a spreadsheet would run as a formula is written behind an
apostrophe (the import takes exactly that apostrophe off again; docs/data-formats.md).
Imports do not use django-import-export's row-by-row saving: the admin's Import button stores
the file and the background worker runs fundops.data_exchange (the engine behind
`manage.py import_data`), so the admin and the command check the same things, say the same
messages, and write all or nothing through the same services.
"""
from django.shortcuts import redirect
from django.urls import reverse
from import_export import fields, resources
from import_export.formats.base_formats import CSV, XLSX

from fundops.data_exchange import export_cell
from fundops.data_exchange.admin_import import import_upload_view
from fundops.data_exchange.core import CONTRIBUTION_COLUMNS, DONOR_COLUMNS, ORGANIZATION_COLUMNS
from fundops.models import Contribution, Donor, Organization
from fundops.money import quantize

EXPORT_FORMATS = [CSV, XLSX]


def plain(value):
    """A Decimal as plain digits (no exponent, no trailing zeros): what the import reads back."""
    return "" if value is None else format(value.normalize(), "f")


class EngineResource(resources.ModelResource):
    """A resource whose file is the import engine's `import_kind`; every exported cell is made safe
    here, once, for every resource and every format (CSV, XLSX) and every caller of export()."""

    import_kind = ""

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return [export_cell(value) for value in super().export_resource(instance, selected_fields, **kwargs)]

    def get_export_headers(self, selected_fields=None):
        return [export_cell(header) for header in super().get_export_headers(selected_fields)]


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
    """Admin import/export for a model whose resource is an EngineResource.

    Import: the form stores the file and queues a background job (fundops.data_exchange.jobs),
    whose page shows its progress and result. Export: CSV/XLSX of the import columns. Django's
    admin log is left alone: the audit trail records imported history.
    """

    export_formats = EXPORT_FORMATS
    skip_admin_log = True

    def has_import_permission(self, request):
        return self.has_add_permission(request) or self.has_change_permission(request)

    def import_action(self, request, **kwargs):
        return import_upload_view(self, request, self.resource_classes[0].import_kind)

    def process_import(self, request, **kwargs):
        # django-import-export's confirmation step: imports are confirmed on the job's page now.
        return redirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import"))
