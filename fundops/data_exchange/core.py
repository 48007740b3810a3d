"""Importing the shared core: member organisations, donors and their contributions."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fundops.models import Contribution, Donor, Fund, Organization
from fundops.services import contribution_record, organization_set_at_risk

from .engine import Importer, RowProblem, in_chunks, problems_from, register

ORGANIZATION_COLUMNS = [
    "org_id", "name", "country", "city", "registration_status", "registration_number",
    "at_risk", "member_since", "contact_email",
]
DONOR_COLUMNS = ["donor_id", "name", "kind", "country"]
CONTRIBUTION_COLUMNS = ["fund", "donor_id", "amount", "currency", "fx_rate", "received_on", "status"]


def funds_by_slug(slugs):
    return {fund.slug: fund for fund in Fund.objects.filter(slug__in=set(slugs))}


def _upsert(model, key_field, records, report, *, extra_on_update=None, service_fields=()):
    """Create new rows and update changed ones in bulk; identical rows are skipped.

    Organisations and donors are plain reference data (no state machine, no money), so the
    engine writes them in bulk — 10,000 members import in seconds. A change to one of
    `service_fields` on a stored row is not written here: it is returned as (row number, object,
    {field: value}) for the caller to make through its service (the at-risk flag and its audit row).
    """
    keys = [record[key_field] for _number, record in records]
    existing = {}
    for chunk in in_chunks(keys):
        existing.update({getattr(obj, key_field): obj for obj in model.objects.filter(**{f"{key_field}__in": chunk})})
    to_create, to_update, changed_fields, through_service = [], [], set(), []
    for number, record in records:
        current = existing.get(record[key_field])
        if current is None:
            to_create.append(model(**record))
            report.count(number, "created")
            continue
        changes = [name for name, value in record.items() if _stored(getattr(current, name)) != value]
        if not changes:
            report.count(number, "skipped")
            continue
        plain_changes = [name for name in changes if name not in service_fields]
        for name in plain_changes:
            setattr(current, name, record[name])
        if plain_changes:
            changed_fields.update(plain_changes)
            to_update.append(current)
        if len(plain_changes) < len(changes):
            through_service.append((number, current, {name: record[name] for name in changes if name in service_fields}))
        report.count(number, "updated")
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        for name, value in (extra_on_update or {}).items():
            for obj in to_update:
                setattr(obj, name, value)
        model.objects.bulk_update(to_update, sorted(changed_fields | set(extra_on_update or {})), batch_size=500)
    return through_service


def _stored(value):
    return getattr(value, "code", value)  # a django-countries Country compares by its code


@register
class OrganizationImporter(Importer):
    kind = "organizations"
    columns = ORGANIZATION_COLUMNS
    key = "org_id"
    statuses = [choice for choice, _label in Organization.RegistrationStatus.choices]

    def prepare(self, rows):
        if rows:
            self.check_duplicates(rows, rows[0].problems)
        records = []
        for row in self.checking(rows):
            records.append((row.number, dict(
                org_id=row.text("org_id", max_length=100),
                name=row.text("name", max_length=255),
                country=row.country("country"),
                city=row.text("city", required=False, max_length=120),
                registration_status=row.choice("registration_status", self.statuses),
                registration_number=row.text("registration_number", required=False, max_length=100),
                at_risk=row.boolean("at_risk"),
                member_since=row.date("member_since", required=False),
                contact_email=row.email("contact_email"),
            )))
        if rows:
            self.check_at_risk(records, rows[0].problems)
        return records

    def check_at_risk(self, records, problems):
        """An import may flag an organisation at risk, never clear the flag: clearing names it again
        in every export, so an administrator does it in the admin, with a reason."""
        flagged = set()
        for chunk in in_chunks([record["org_id"] for _number, record in records]):
            flagged.update(Organization.objects.filter(org_id__in=chunk, at_risk=True).values_list("org_id", flat=True))
        for number, record in records:
            if record["at_risk"] is False and record["org_id"] in flagged:
                problems.append(RowProblem(number, "at_risk", _(
                    "“%(org_id)s” is flagged at risk and an import never clears the flag. Write true here; an "
                    "administrator clears the flag on the organisation's page in the admin, giving a reason."
                ) % {"org_id": record["org_id"]}))

    def write(self, records, report):
        through_service = _upsert(Organization, "org_id", records, report,
                                  extra_on_update={"updated_at": timezone.now()}, service_fields=("at_risk",))
        problems = []
        for number, organization, changes in through_service:
            try:
                organization_set_at_risk(organization=organization, at_risk=changes["at_risk"], by=self.by,
                                         reason=_("Flagged at risk by an import."))
            except (PermissionDenied, ValidationError) as error:
                text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
                problems.append(RowProblem(number, "at_risk", text))
        return problems


@register
class DonorImporter(Importer):
    kind = "donors"
    columns = DONOR_COLUMNS
    key = "donor_id"
    kinds = [choice for choice, _label in Donor.Kind.choices]

    def prepare(self, rows):
        if rows:
            self.check_duplicates(rows, rows[0].problems)
        return [(row.number, dict(
            slug=row.slug("donor_id"),
            name=row.text("name", max_length=255),
            kind=row.choice("kind", self.kinds),
            country=row.country("country", required=False) or "",
        )) for row in self.checking(rows)]

    def write(self, records, report):
        _upsert(Donor, "slug", records, report)
        return []


@register
class ContributionImporter(Importer):
    """Contributions have no id column: a row is the same contribution as a stored one when
    fund, donor, received_on, amount and currency all match (documented in docs/data-formats.md).
    """

    kind = "contributions"
    columns = CONTRIBUTION_COLUMNS
    key = "amount"
    statuses = [choice for choice, _label in Contribution.Status.choices]
    fields_to_columns = {"fx_date": "received_on", "__all__": "amount"}

    def prepare(self, rows):
        funds = funds_by_slug(row.peek("fund") for row in rows)
        donors = {d.slug: d for d in Donor.objects.filter(slug__in={row.peek("donor_id") for row in rows})}
        records, first_seen = [], {}
        for row in self.checking(rows):
            fund = _known(row, "fund", funds, "No fund has the slug “{}”.")
            donor = _known(row, "donor_id", donors, "No donor has the donor_id “{}”: import donors first.")
            currency = row.currency("currency")
            amount = row.amount("amount", currency)
            fx_rate = row.rate("fx_rate")
            status = row.choice("status", self.statuses)
            received_on = row.date("received_on", required=status == Contribution.Status.RECEIVED)
            if None in (fund, donor, currency, amount, fx_rate, status) or not row.base_fits("amount", amount, fx_rate):
                continue
            if currency == fund.base_currency and fx_rate != 1:
                row.problem("fx_rate", f"The rate must be 1: {currency} is the fund's base currency.")
                continue
            key = (fund.pk, donor.pk, received_on, amount, currency)
            if key in first_seen:
                row.problem("amount", f"The same fund, donor, date, amount and currency appear on row {first_seen[key]}; "
                                      "two contributions on one day need a different date or one combined row.")
                continue
            first_seen[key] = row.number
            records.append((row.number, dict(fund=fund, donor=donor, currency=currency, amount=amount,
                                             fx_rate=fx_rate, status=status, received_on=received_on)))
        return records

    def write(self, records, report):
        stored = {}
        fund_ids = {record["fund"].pk for _number, record in records}
        for contribution in Contribution.objects.filter(fund_id__in=fund_ids):
            key = (contribution.fund_id, contribution.donor_id, contribution.received_on,
                   contribution.amount, contribution.currency)
            stored[key] = contribution
        problems = []
        for number, record in records:
            key = (record["fund"].pk, record["donor"].pk, record["received_on"], record["amount"], record["currency"])
            current = stored.get(key)
            if current is not None:
                if (current.status, current.fx_rate) == (record["status"], record["fx_rate"]):
                    report.count(number, "skipped")
                else:
                    problems.append(RowProblem(number, "status", (
                        f"This contribution is already recorded as {current.get_status_display().lower()} at rate "
                        f"{current.fx_rate.normalize()}; an import never changes recorded money — correct it in the admin."
                    )))
                continue
            try:
                contribution_record(
                    fund=record["fund"], donor=record["donor"], amount=record["amount"], currency=record["currency"],
                    fx_rate=record["fx_rate"], fx_date=record["received_on"] or timezone.localdate(),
                    status=record["status"], received_on=record["received_on"],
                )
            except ValidationError as error:
                problems.extend(problems_from(error, number, self.fields_to_columns, "amount", self.columns))
                continue
            report.count(number, "created")
        return problems


def _known(row, column, by_key, message):
    key = row.text(column)
    if not key:
        return None
    found = by_key.get(key)
    if found is None:
        row.problem(column, message.format(key))
    return found
