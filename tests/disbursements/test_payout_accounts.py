"""Payout accounts: IBAN, BIC and phone numbers checked; four eyes on every new or changed account;
payments to an account not verified, or approved by the account's author, are refused."""
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from disbursements import services
from disbursements.models import PayoutAccount
from fundops.audit import audit_trail
from fundops.models import Notification
from tests import factories
from tests.disbursements.helpers import approve, funded, ready_application

pytestmark = pytest.mark.django_db

BANK_DE = dict(kind="bank", holder_name="Haki Centre", currency="EUR", country="DE", iban="de89 3704 0044 0532 0130 00")


@pytest.fixture
def organisation(db):
    return factories.OrganizationFactory(country="KE")


def test_an_iban_is_checked_and_kept_compact():
    data = services.clean_payout_details(BANK_DE)
    assert data["iban"] == "DE89370400440532013000" and data["account_number"] == ""
    with pytest.raises(ValidationError) as error:
        services.clean_payout_details({**BANK_DE, "iban": "DE89370400440532013001"})
    assert "not a valid IBAN" in str(error.value.message_dict["iban"])
    with pytest.raises(ValidationError, match="another country"):
        services.clean_payout_details({**BANK_DE, "country": "FR", "iban": "DE89370400440532013000"})


def test_where_iban_does_not_apply_the_account_number_bank_and_bic_are_needed():
    assert not services.iban_applies("KE") and services.iban_applies("DE")
    with pytest.raises(ValidationError) as error:
        services.clean_payout_details(dict(kind="bank", holder_name="Haki", currency="KES", country="KE", bic="XX12"))
    problems = error.value.message_dict
    assert set(problems) == {"account_number", "bank_name", "bic"}
    data = services.clean_payout_details(dict(kind="bank", holder_name="Haki", currency="KES", country="KE",
                                              account_number="0123456789", bank_name="KCB", bic="kcbl kena"))
    assert data["bic"] == "KCBLKENA" and data["iban"] == ""


def test_a_mobile_number_is_checked_and_written_as_e164():
    data = services.clean_payout_details(dict(kind="mobile_money", holder_name="Amina", currency="KES", country="KE",
                                              provider="M-Pesa", phone="0712 345678"))
    assert data["phone"] == "+254712345678"
    with pytest.raises(ValidationError, match="not a valid phone number"):
        services.clean_payout_details(dict(kind="mobile_money", holder_name="Amina", currency="KES", country="KE",
                                           provider="M-Pesa", phone="0712"))


def test_a_new_account_waits_for_a_second_finance_officer(organisation, finance, finance2):
    account = services.payout_account_create(organization=organisation, by=finance, **BANK_DE)
    assert account.verification == "pending"
    with pytest.raises(ValidationError, match="another finance officer must verify"):
        services.payout_account_verify(account=account, by=finance)
    account = services.payout_account_verify(account=account, by=finance2)
    assert account.verification == "verified" and account.verified_by == finance2
    assert [e.transition for e in audit_trail(account)] == ["create", "verify"]


def test_a_change_makes_a_verified_account_pending_again_and_is_kept_with_who_asked(organisation, finance, finance2):
    applicant = factories.UserFactory(roles=["applicant"], organization=organisation)
    account = services.payout_account_create(organization=organisation, by=finance, **BANK_DE)
    services.payout_account_verify(account=account, by=finance2)
    changed = services.payout_account_update(account=account, by=finance2, iban="FR1420041010050500013M02606",
                                             country="FR", note="Grantee phoned")
    assert changed.verification == "pending" and changed.changed_by == finance2 and changed.verified_by is None
    last = changed.changes.order_by("-pk").first()
    assert last.requested_by == finance2 and last.changes["iban"] == ["DE89370400440532013000", "FR1420041010050500013M02606"]
    # Nobody who created or changed it may verify it now: finance created it, finance2 changed it.
    for person in (finance, finance2):
        with pytest.raises(ValidationError, match="another finance officer"):
            services.payout_account_verify(account=changed, by=person)
    services.payout_account_verify(account=changed, by=factories.UserFactory(roles=["finance_officer"]))
    # The organisation's people heard of the creation and the change.
    assert Notification.objects.filter(recipient=applicant, kind="payout_account_changed").count() == 2


def test_an_unverified_or_changed_account_blocks_approval(officer, finance, finance2):
    grant = approve(ready_application(funded()), officer, "10000")
    verified = PayoutAccount.objects.get(organization=grant.organization)
    pending = services.payout_account_create(organization=grant.organization, by=finance, **BANK_DE)
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance, amount="100", payout_account=pending)
    with pytest.raises(ValidationError, match="is not verified"):
        services.payment_approve(payment=payment, by=finance2)
    # A verified account changed after scheduling blocks it just the same.
    other = services.payment_schedule(tranche=grant.tranches.get(), by=finance, amount="100", payout_account=verified)
    services.payout_account_update(account=verified, by=finance, holder_name="Someone Else")
    with pytest.raises(ValidationError, match="is not verified"):
        services.payment_approve(payment=other, by=finance2)
    for p in (payment, other):
        p.refresh_from_db()
        assert p.state == "scheduled"


def test_the_approver_is_never_the_one_who_changed_the_account(officer, finance, finance2):
    grant = approve(ready_application(funded()), officer, "10000")
    account = services.payout_account_create(organization=grant.organization, by=finance2, **BANK_DE)
    services.payout_account_verify(account=account, by=factories.UserFactory(roles=["finance_officer"]))
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance, amount="100", payout_account=account)
    with pytest.raises(ValidationError, match="You created or changed the payout account"):
        services.payment_approve(payment=payment, by=finance2)
    third = factories.UserFactory(roles=["finance_officer"])
    assert services.payment_approve(payment=payment, by=third).state == "approved"


def test_account_details_are_never_exported_and_the_admin_masks_them(admin_client, officer, finance, finance2):
    at_risk = factories.OrganizationFactory(at_risk=True)
    account = factories.PayoutAccountFactory(organization=at_risk)
    grant = approve(ready_application(funded(), organization=at_risk), officer, "10000")
    payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance, amount="100", payout_account=account)
    services.payment_approve(payment=payment, by=finance2)
    services.payment_record(payment=payment, by=finance2, paid_on=payment.scheduled_at.date(), reference="X-1")
    from disbursements.admin import PayoutAccountAdmin
    from disbursements.resources import PaymentResource

    exported = PaymentResource().export().csv
    assert "X-1" in exported and account.iban not in exported and account.bic not in exported
    assert not getattr(PayoutAccountAdmin, "resource_classes", None)  # no import/export door for accounts
    for url in (reverse("admin:disbursements_payoutaccount_changelist"),
                reverse("admin:disbursements_payoutaccount_change", args=[account.pk])):
        page = admin_client.get(url)
        assert page.status_code == 200 and account.iban not in page.content.decode()
        assert "3000" in page.content.decode()  # the last four characters only
