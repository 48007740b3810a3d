"""Writes on the shared core: member organisations' profiles and safety flag, donors' contributions."""
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import roles
from .models import AuditEntry, Contribution, Organization
from .money import MoneyError, parse_decimal, quantize, to_base

ORGANIZATION_PROFILE_FIELDS = [
    "name", "country", "city", "registration_status", "registration_number",
    "contact_name", "contact_email", "contact_phone", "website",
    "founded_year", "annual_budget", "annual_budget_currency",
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


AT_RISK, NOT_AT_RISK = "at_risk", "not_at_risk"


@transaction.atomic
def organization_set_at_risk(*, organization, at_risk, by, reason=""):
    """Flag an organisation at risk, or clear the flag — the only way the flag changes.

    Flagging is always allowed to administrators and program officers (and to an import run
    from the command line, `by=None`): hiding a name too soon harms no one. Clearing names the
    organisation again in every later export and report, so only an administrator may do it,
    and only with a reason. Each change writes an audit row in the same transaction.
    """
    at_risk = bool(at_risk)
    reason = (reason or "").strip()
    if at_risk:
        if by is not None and not roles.is_program_officer(by):
            raise PermissionDenied(_("Only administrators and program officers may flag an organisation at risk."))
    else:
        if by is None or not by.is_superuser:
            raise PermissionDenied(_("Only an administrator may clear an organisation's at-risk flag."))
        if not reason:
            raise ValidationError({"reason": _("Say why the organisation is no longer at risk: it will be named "
                                               "again in exports and reports.")})
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    if organization.at_risk == at_risk:
        return organization  # already so: nothing changes, nothing to record
    organization.at_risk = at_risk
    organization.save(update_fields=["at_risk", "updated_at"])
    AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Organization), object_id=organization.pk, actor=by,
        transition="flag_at_risk" if at_risk else "clear_at_risk",
        from_state=NOT_AT_RISK if at_risk else AT_RISK, to_state=AT_RISK if at_risk else NOT_AT_RISK, note=reason,
    )
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
