"""django-import-export resources for grants (historical applications with their outcome) and
payments: imports run the fundops import engine, exports write exactly the import columns."""
from decimal import ROUND_CEILING, Decimal

from django.utils import timezone
from import_export import fields

from fundops.data_exchange.history import GRANT_COLUMNS, PAYMENT_COLUMNS
from fundops.money import minor_units, quantize
from fundops.resources import EngineResource, plain

from .models import Grant, Payment, PaymentState


def _day(moment):
    return timezone.localtime(moment).date().isoformat() if moment else ""


class GrantResource(EngineResource):
    """Grants as the grants file has them (outcome `approved`). Cancelled awards are left out of
    the export: the file has no outcome for them, and re-imported they would commit money again."""

    import_kind = "grants"
    grant_ref = fields.Field(attribute="reference", column_name="grant_ref")
    org_id = fields.Field(column_name="org_id")
    fund = fields.Field(column_name="fund")
    title = fields.Field(column_name="title")
    countries = fields.Field(column_name="countries")
    themes = fields.Field(column_name="themes")
    requested_amount = fields.Field(column_name="requested_amount")
    awarded_amount = fields.Field(column_name="awarded_amount")
    currency = fields.Field(attribute="currency", column_name="currency")
    fx_rate = fields.Field(column_name="fx_rate")
    submitted_on = fields.Field(column_name="submitted_on")
    decided_on = fields.Field(column_name="decided_on")
    outcome = fields.Field(column_name="outcome")

    class Meta:
        model = Grant
        fields = GRANT_COLUMNS
        export_order = GRANT_COLUMNS

    def get_queryset(self):
        return Grant.objects.select_related("application", "organization", "fund").order_by("decided_at", "pk")

    def filter_export(self, queryset, **kwargs):
        return queryset.filter(status=Grant.Status.ACTIVE).select_related("application", "organization", "fund")

    def dehydrate_org_id(self, grant):
        return grant.organization.org_id

    def dehydrate_fund(self, grant):
        return grant.fund.slug

    def dehydrate_title(self, grant):
        return grant.application.title

    def dehydrate_countries(self, grant):
        return ";".join(sorted(country.code for country in grant.application.countries))

    def dehydrate_themes(self, grant):
        return ";".join(grant.application.themes or [])

    def dehydrate_requested_amount(self, grant):
        application = grant.application
        if application.requested_amount is None:
            return ""
        if application.requested_currency in ("", grant.currency):
            return plain(quantize(application.requested_amount, grant.currency))
        # The request is in the fund's base currency; the file's amounts are in the grant's. Rounded
        # up, so converting back on import never gives less than was requested (the award still fits).
        exponent = Decimal(1).scaleb(-minor_units(grant.currency))
        return plain((application.requested_amount / grant.fx_rate).quantize(exponent, rounding=ROUND_CEILING))

    def dehydrate_awarded_amount(self, grant):
        return plain(quantize(grant.amount, grant.currency))

    def dehydrate_fx_rate(self, grant):
        return plain(grant.fx_rate)

    def dehydrate_submitted_on(self, grant):
        return _day(grant.application.submitted_at or grant.decided_at)

    def dehydrate_decided_on(self, grant):
        return _day(grant.decided_at)

    def dehydrate_outcome(self, grant):
        return "approved"


class PaymentResource(EngineResource):
    """Payments that left the fund (paid, reconciled, returned) with their bank reference."""

    import_kind = "payments"
    grant_ref = fields.Field(column_name="grant_ref")
    reference = fields.Field(attribute="reference", column_name="reference")
    amount = fields.Field(column_name="amount")
    currency = fields.Field(attribute="currency", column_name="currency")
    fx_rate = fields.Field(column_name="fx_rate")
    paid_on = fields.Field(column_name="paid_on")
    status = fields.Field(attribute="state", column_name="status")

    class Meta:
        model = Payment
        fields = PAYMENT_COLUMNS
        export_order = PAYMENT_COLUMNS

    def get_queryset(self):
        return Payment.objects.select_related("grant").order_by("paid_on", "pk")

    def filter_export(self, queryset, **kwargs):
        exportable = [PaymentState.PAID, PaymentState.RECONCILED, PaymentState.RETURNED]
        return (queryset.filter(state__in=exportable, reference__isnull=False)
                .select_related("grant").order_by("paid_on", "pk"))

    def dehydrate_grant_ref(self, payment):
        return payment.grant.reference

    def dehydrate_amount(self, payment):
        return plain(quantize(payment.amount, payment.currency))

    def dehydrate_fx_rate(self, payment):
        return plain(payment.fx_rate)

    def dehydrate_paid_on(self, payment):
        return payment.paid_on.isoformat() if payment.paid_on else ""
