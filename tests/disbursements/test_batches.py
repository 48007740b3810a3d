"""Payment batches: approved payments in one currency, exported as pain.001 (SEPA through sepaxml,
non-SEPA through our own writer) that validates against the ISO 20022 pain.001.001.03 XSD shipped
inside sepaxml, or as CSV; marked sent; paid out with each payment's end-to-end id, once."""
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.core.exceptions import ValidationError
from django.utils import timezone

from disbursements import services
from disbursements.models import FundBankAccount, PaymentBatch
from tests import factories
from tests.disbursements.helpers import approve, funded, ready_application

pytestmark = pytest.mark.django_db

# The official pain.001.001.03 schema as sepaxml ships it (no network).
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


@pytest.fixture(scope="module")
def schema():
    assert XSD.exists(), f"sepaxml no longer ships {XSD}"
    return xmlschema.XMLSchema(str(XSD))


def approved_payments(officer, finance, finance2, *, currency, accounts, amount="1000.00", rate=None):
    """One approved payment per account, each to its own grantee."""
    payments = []
    for account in accounts:
        application = ready_application(funded(received=Decimal("1000000")), currency=currency,
                                        organization=account.organization, requested="50000")
        grant = approve(application, officer, "5000", currency=currency, fx_rate=rate)
        payment = services.payment_schedule(tranche=grant.tranches.get(), by=finance, amount=amount, payout_account=account)
        payments.append(services.payment_approve(payment=payment, by=finance2))
    return payments


def debtor(currency, **kwargs):
    values = dict(name=f"Operating {currency}", holder_name="Grassroots Justice Network", currency=currency,
                  iban="NL91ABNA0417164300", bic="ABNANL2A", country="NL")
    values.update(kwargs)
    return FundBankAccount.objects.create(**values)


def test_a_sepa_batch_exports_a_valid_pain001_and_pays_out_once(schema, officer, finance, finance2):
    accounts = [factories.PayoutAccountFactory(iban=iban, country=iban[:2]) for iban in
                ("DE89370400440532013000", "FR1420041010050500013M02606", "NL91ABNA0417164300")]
    payments = approved_payments(officer, finance, finance2, currency="EUR", accounts=accounts, rate="1.1")
    batch = services.payment_batch_create(payments=payments, by=finance, debtor_account=debtor("EUR"))
    assert services.batch_file_kind(batch) == "sepa"
    filename, content_type, xml = services.payment_batch_export(batch=batch, by=finance, file_format="xml")
    schema.validate(xml.decode())
    text = xml.decode()
    assert f"<MsgId>{batch.message_id}</MsgId>" in text and "<NbOfTxs>3</NbOfTxs>" in text
    for payment in payments:
        payment.refresh_from_db()
        assert f"<EndToEndId>{payment.end_to_end_id}</EndToEndId>" in text
    batch.refresh_from_db()
    assert batch.state == "exported"
    with pytest.raises(ValidationError, match="Mark the batch sent"):
        services.payment_batch_paid(batch=batch, by=finance, paid_on=timezone.localdate())
    services.payment_batch_mark_sent(batch=batch, by=finance)
    batch, results = services.payment_batch_paid(batch=batch, by=finance, paid_on=timezone.localdate(), fx_rate="1.1")
    assert batch.state == "paid" and [r.already_recorded for r in results] == [False] * 3
    for payment in payments:
        payment.refresh_from_db()
        assert payment.state == "paid" and payment.reference == payment.end_to_end_id
    assert services.payment_batch_paid(batch=batch, by=finance, paid_on=timezone.localdate()) == (batch, [])


def test_a_non_sepa_batch_exports_a_valid_pain001_with_account_numbers(schema, officer, finance, finance2):
    kenya = factories.PayoutAccountFactory(country="KE", currency="USD", iban="", account_number="0123456789",
                                           bank_name="Kenya Commercial Bank", bic="KCBLKENX")
    brazil = factories.PayoutAccountFactory(country="BR", currency="USD", iban="BR1800360305000010009795493C1",
                                            bic="BOFABRSP")
    payments = approved_payments(officer, finance, finance2, currency="USD", accounts=[kenya, brazil], amount="1250.50")
    batch = services.payment_batch_create(payments=payments, by=finance, debtor_account=debtor("USD"))
    assert services.batch_file_kind(batch) == "pain001"
    _, _, xml = services.payment_batch_export(batch=batch, by=finance, file_format="xml")
    schema.validate(xml.decode())
    text = xml.decode()
    assert "<Othr><Id>0123456789</Id></Othr>" in text and "<IBAN>BR1800360305000010009795493C1</IBAN>" in text
    assert '<InstdAmt Ccy="USD">1250.50</InstdAmt>' in text and "<CtrlSum>2501.00</CtrlSum>" in text


def test_mobile_money_goes_out_as_csv_only(officer, finance, finance2):
    wallet = factories.PayoutAccountFactory(kind="mobile_money", country="KE", currency="KES", iban="", bic="",
                                            provider="M-Pesa", phone="+254712345678")
    payments = approved_payments(officer, finance, finance2, currency="KES", accounts=[wallet], amount="5000",
                                 rate="0.0077")
    batch = services.payment_batch_create(payments=payments, by=finance, debtor_account=debtor("KES", iban="", account_number="998877", bic="KCBLKENX", country="KE"))
    with pytest.raises(ValidationError, match="Mobile-money payments .* cannot go in a pain.001"):
        services.payment_batch_export(batch=batch, by=finance, file_format="xml")
    filename, content_type, content = services.payment_batch_export(batch=batch, by=finance, file_format="csv")
    assert content_type == "text/csv" and "+254712345678" in content.decode() and "M-Pesa" in content.decode()


def test_a_batch_is_one_currency_of_approved_payments_not_in_another_batch(officer, finance, finance2):
    eur = approved_payments(officer, finance, finance2, currency="EUR", accounts=[factories.PayoutAccountFactory()], rate="1.1")
    usd = approved_payments(officer, finance, finance2, currency="USD", accounts=[factories.PayoutAccountFactory()])
    with pytest.raises(ValidationError, match="one currency"):
        services.payment_batch_create(payments=eur + usd, by=finance, debtor_account=debtor("EUR"))
    services.payment_batch_create(payments=eur, by=finance, debtor_account=debtor("EUR"))
    with pytest.raises(ValidationError, match="already in a batch"):
        services.payment_batch_create(payments=eur, by=finance, debtor_account=debtor("EUR", name="Second"))
    assert PaymentBatch.objects.count() == 1
