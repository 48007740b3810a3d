"""Writes on the shared core: member organisations' profiles and donors' contributions."""
from django.core.exceptions import ValidationError
from django.db import transaction

from . import roles
from .models import Contribution
from .money import MoneyError, parse_decimal, quantize, to_base

ORGANIZATION_PROFILE_FIELDS = [
    "name", "country", "city", "registration_status", "registration_number",
    "contact_name", "contact_email", "contact_phone", "website",
]


@transaction.atomic
def organization_update(*, organization, by, **fields):
    """An applicant edits their own organisation's profile; staff may edit any.

    The at-risk flag and identifiers are not profile fields: only administrators change them.
    """
    if not (by.is_superuser or roles.is_program_officer(by) or by.organization_id == organization.pk):
        raise ValidationError("You may only edit your own organisation's profile.")
    unknown = set(fields) - set(ORGANIZATION_PROFILE_FIELDS)
    if unknown:
        raise ValidationError(f"These are not profile fields: {', '.join(sorted(unknown))}.")
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.full_clean()
    organization.save()
    return organization


@transaction.atomic
def contribution_record(*, fund, donor, amount, currency, fx_rate, fx_date, status,
                        received_on=None, pledged_on=None, reference="", note=""):
    """Record a donor's contribution with the FX rate actually used and its base amount (money rule 2)."""
    errors = {}
    try:
        amount = quantize(parse_decimal(amount), currency)
        if amount <= 0:
            errors["amount"] = "The amount must be more than zero."
    except MoneyError as error:
        errors["amount"] = str(error)
    try:
        fx_rate = parse_decimal(fx_rate)
        if fx_rate <= 0:
            errors["fx_rate"] = "The exchange rate must be more than zero."
        elif currency == fund.base_currency and fx_rate != 1:
            errors["fx_rate"] = f"The rate must be 1 when the currency is the fund's base currency ({currency})."
    except MoneyError as error:
        errors["fx_rate"] = str(error)
    if status == Contribution.Status.RECEIVED and not received_on:
        errors["received_on"] = "A received contribution needs the date it was received."
    if errors:
        raise ValidationError(errors)
    contribution = Contribution(
        fund=fund, donor=donor, amount=amount, currency=currency, fx_rate=fx_rate, fx_date=fx_date,
        base_amount=to_base(amount, fx_rate, fund.base_currency), status=status,
        received_on=received_on, pledged_on=pledged_on, reference=reference, note=note,
    )
    contribution.full_clean()
    contribution.save()
    return contribution
