"""Payout accounts: where an organisation is paid (a bank account or a mobile-money wallet).

Changing a grantee's bank details is the classic fraud, so: every new or changed account waits
for a second finance officer to verify it (never the one who created or last changed it), every
change is kept with who asked for it, the organisation's people are told of each change, and a
payment to an account not verified cannot be approved (services.payments)."""
import phonenumbers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries
from schwifty import BIC, IBAN
from schwifty.exceptions import InvalidCountryCode, SchwiftyException
from schwifty.registry import get_iban_spec

from applications.services import notify_each
from fundops.money import CURRENCIES
from fundops.notifications import kinds
from fundops.notifications.recipients import organisation_users

from ..models import PayoutAccount, PayoutAccountChange
from ._common import _audit_event, _require, _require_finance

Kind = PayoutAccount.Kind
Verification = PayoutAccount.Verification


def iban_applies(country):
    """Does `country` (ISO code) use IBANs? Then a bank account there is given by its IBAN."""
    try:
        get_iban_spec((country or "").upper())
    except (InvalidCountryCode, KeyError):
        return False
    return True


def clean_iban(value):
    try:
        return IBAN(value).compact
    except SchwiftyException as error:
        raise ValidationError({"iban": [_("This is not a valid IBAN (%(problem)s).") % {"problem": error}]})


def clean_bic(value, field="bic"):
    try:
        return BIC(value).compact
    except SchwiftyException as error:
        raise ValidationError({field: [_("This is not a valid SWIFT/BIC code (%(problem)s).") % {"problem": error}]})


def clean_phone(value, country):
    """A mobile number as E.164 (+254712345678); a national number is read in `country`."""
    try:
        number = phonenumbers.parse(value, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError({"phone": [_("“%(value)s” is not a valid phone number for this country.") % {"value": value}]})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_payout_details(details):
    """Check and normalise a payout account's details; every problem at once, each on its field.
    Returns the full set of DETAIL_FIELDS, those that do not apply to the kind emptied."""
    data = {name: " ".join(str(details.get(name) or "").split()) for name in PayoutAccount.DETAIL_FIELDS}
    data["currency"] = data["currency"].upper()
    data["country"] = data["country"].upper()
    errors = {}

    def check(step):
        try:
            step()
        except ValidationError as error:
            for name, messages in error.update_error_dict({}).items():
                errors.setdefault(name, []).extend(messages)

    def need(name, message):
        if not data[name]:
            errors.setdefault(name, []).append(message)

    if data["kind"] not in Kind.values:
        errors["kind"] = [_("Choose a bank account or mobile money.")]
    need("holder_name", _("Give the account holder's name, as the bank knows it."))
    if data["currency"] not in CURRENCIES:
        errors["currency"] = [_("Choose the currency the account is held in.")]
    if data["country"] not in dict(countries):
        errors["country"] = [_("Choose the country of the account.")]
    if data["kind"] == Kind.BANK:
        data["provider"] = data["phone"] = ""
        if iban_applies(data["country"]):
            need("iban", _("Banks in this country use IBANs: give the IBAN."))
            if data["iban"]:
                check(lambda: data.update(iban=clean_iban(data["iban"])))
                if data["iban"] and not errors.get("iban") and data["iban"][:2] != data["country"]:
                    errors["iban"] = [_("This IBAN is for another country (%(code)s).") % {"code": data["iban"][:2]}]
            data["account_number"] = ""
        else:
            data["iban"] = ""
            need("account_number", _("Give the account number."))
            need("bank_name", _("Give the bank's name."))
            need("bic", _("Give the bank's SWIFT/BIC code: international transfers need it."))
        if data["bic"]:
            check(lambda: data.update(bic=clean_bic(data["bic"])))
    elif data["kind"] == Kind.MOBILE_MONEY:
        data.update(iban="", account_number="", bank_name="", bic="", branch="")
        need("provider", _("Give the mobile-money provider, e.g. M-Pesa."))
        need("phone", _("Give the mobile number the money goes to."))
        if data["phone"] and not errors.get("country"):
            check(lambda: data.update(phone=clean_phone(data["phone"], data["country"])))
    if errors:
        raise ValidationError(errors)
    return data


def _tell_the_organisation(account, change, by):
    notify_each(
        organisation_users(account.organization), kind=kinds.PAYOUT_ACCOUNT_CHANGED,
        event_key=f"payout-account:{account.pk}:{change}:{timezone.now().timestamp()}",
        obj=account, url=reverse("applications:organization"),
        context={"organisation": account.organization.name, "account": f"…{account.last4}",
                 "change": change, "by": by.get_full_name() or by.get_username()},
    )


@transaction.atomic
def payout_account_create(*, organization, by, note="", **details):
    """Add an account for an organisation: it waits for another finance officer's verification."""
    _require_finance(by)
    data = clean_payout_details(details)
    account = PayoutAccount.objects.create(organization=organization, changed_by=by, **data)
    PayoutAccountChange.objects.create(
        account=account, requested_by=by, note=(note or "").strip(),
        changes={name: ["", value] for name, value in data.items() if value},
    )
    _audit_event(account, "create", by=by, to_state=account.verification, note=(note or "").strip())
    _tell_the_organisation(account, _("added"), by)
    return account


@transaction.atomic
def payout_account_update(*, account, by, note="", **details):
    """Change an account's details. Any change makes it wait for verification again (even when it
    was verified), is kept with who asked for it, and is told to the organisation."""
    _require_finance(by)
    account = PayoutAccount.objects.select_for_update().get(pk=account.pk)
    current = {name: str(getattr(account, name) or "") for name in PayoutAccount.DETAIL_FIELDS}
    data = clean_payout_details({**current, **details})
    changes = {name: [current[name], value] for name, value in data.items() if value != current[name]}
    if not changes:
        return account
    previous = account.verification
    for name, value in data.items():
        setattr(account, name, value)
    account.verification = Verification.PENDING
    account.changed_by, account.changed_at = by, timezone.now()
    account.verified_by, account.verified_at, account.rejection_reason = None, None, ""
    account.save()
    PayoutAccountChange.objects.create(account=account, requested_by=by, changes=changes, note=(note or "").strip())
    _audit_event(account, "change", by=by, from_state=previous, to_state=account.verification,
                 note=_("Changed: %(fields)s") % {"fields": ", ".join(sorted(changes))})
    _tell_the_organisation(account, _("changed"), by)
    return account


def account_authors(account):
    """Who created the account and who last changed it: neither may verify it nor approve a
    payment to it."""
    creator = account.changes.order_by("requested_at", "pk").values_list("requested_by", flat=True).first()
    return {pk for pk in (creator, account.changed_by_id) if pk is not None}


@transaction.atomic
def payout_account_verify(*, account, by):
    """A second finance officer checked the details (e.g. by calling the organisation back)."""
    _require_finance(by)
    account = PayoutAccount.objects.select_for_update().get(pk=account.pk)
    _require(account.verification == Verification.PENDING, _("This account is not waiting for verification."))
    _require(by.pk not in account_authors(account),
             _("You created or changed this account: another finance officer must verify it (four eyes)."))
    account.verification, account.verified_by, account.verified_at = Verification.VERIFIED, by, timezone.now()
    account.save(update_fields=["verification", "verified_by", "verified_at"])
    _audit_event(account, "verify", by=by, from_state=Verification.PENDING, to_state=Verification.VERIFIED)
    return account


@transaction.atomic
def payout_account_reject(*, account, by, reason):
    """The details could not be confirmed: the account is not used."""
    _require_finance(by)
    reason = (reason or "").strip()
    _require(reason, _("Say why the account is rejected."), "reason")
    account = PayoutAccount.objects.select_for_update().get(pk=account.pk)
    _require(account.verification == Verification.PENDING, _("This account is not waiting for verification."))
    _require(by.pk not in account_authors(account),
             _("You created or changed this account: another finance officer must check it (four eyes)."))
    account.verification, account.rejection_reason = Verification.REJECTED, reason
    account.save(update_fields=["verification", "rejection_reason"])
    _audit_event(account, "reject", by=by, from_state=Verification.PENDING, to_state=Verification.REJECTED, note=reason)
    return account


@transaction.atomic
def payout_account_reveal(*, account, by):
    """A finance officer asked to see the full account number: written down, then shown."""
    _require_finance(by)
    _audit_event(account, "reveal", by=by, note=_("Full account details shown"))
    return account.number


def default_payout_account(organization):
    """The organisation's account when it has exactly one verified: else None (choose by hand)."""
    usable = list(PayoutAccount.objects.filter(organization=organization, verification=Verification.VERIFIED,
                                               retired=False)[:2])
    return usable[0] if len(usable) == 1 else None
