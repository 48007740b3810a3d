"""Statements as banks send them: CAMT.053, MT940 and a bank's semicolon / decimal-comma CSV each
reconcile a sample statement; a line short by a deducted fee matches within the bank's tolerance
and the fee is recorded; the same statement twice changes nothing; a malformed file of each kind
is refused whole with nothing stored; an unmatched line can be linked by hand."""
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from disbursements import services
from disbursements.models import BankCsvMapping, BankStatement, Payment, StatementLine
from fundops.models import AuditEntry
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application

pytestmark = pytest.mark.django_db


def upload(text, name):
    data = io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)
    data.name = name
    return data


@pytest.fixture
def payments(officer, finance, finance2):
    """Three paid EUR payments: FT-001 (1,000.00), FT-002 (2,000.00), FT-003 (3,000.00)."""
    grant = approve(ready_application(funded(), currency="EUR"), officer, "6000", currency="EUR", fx_rate="1.1")
    return [paid_payment(grant, finance, finance2, amount=amount, reference=f"FT-00{n}", fx_rate="1.1")
            for n, amount in enumerate(["1000.00", "2000.00", "3000.00"], start=1)]


@pytest.fixture
def bank(db):
    """A bank writing dd.mm.yyyy, 1.234,56 and semicolons, keeping up to EUR 15 as its fee."""
    return BankCsvMapping.objects.create(
        bank_name="Banque Populaire du Sud", delimiter=";", encoding="cp1252", date_format="%d.%m.%Y",
        decimal_comma=True, thousands_separator=".", date_column="Buchungstag", amount_column="Betrag",
        reference_column="Verwendungszweck", currency_column="Währung", fee_tolerance_amount=Decimal("15"),
    )


def camt053(entries, statement_id="STMT-2026-11-30"):
    rows = "".join(f"""
      <Ntry>
        <Amt Ccy="{currency}">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-11-30</Dt></BookgDt><ValDt><Dt>2026-11-30</Dt></ValDt>
        <AcctSvcrRef>BANK-{n}</AcctSvcrRef><BkTxCd/>
        <NtryDtls><TxDtls><Refs><EndToEndId>{reference}</EndToEndId></Refs>
          <RmtInf><Ustrd>Grant payment</Ustrd></RmtInf></TxDtls></NtryDtls>
      </Ntry>""" for n, (amount, currency, reference) in enumerate(entries, start=1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id><CreDtTm>2026-11-30T18:00:00</CreDtTm>
      <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>{rows}
    </Stmt>
  </BkToCstmrStmt>
</Document>"""


MT940 = """:20:STMT-2026-11
:25:NL91ABNA0417164300
:28C:00042/001
:60F:C261101EUR100000,00
:61:2611301130D1000,00NTRFFT-001//BANKREF1
:86:Grant payment
:61:2611301130D1990,00NTRFNONREF
:86:/EREF/FT-002/REMI/Grant payment
:61:2611301130D75,00NMSCNONREF//FEE-NOV
:86:/REMI/Account fee November
:62F:C261130EUR96935,00
"""


def states():
    return list(Payment.objects.order_by("reference").values_list("state", flat=True))


def test_a_camt053_statement_reconciles(payments, finance):
    statement = services.bank_statement_reconcile(
        file=upload(camt053([("1000.00", "EUR", "FT-001"), ("2000.00", "EUR", "FT-002"), ("40.00", "EUR", "XX-9")]), "nov.xml"),
        by=finance)
    assert statement.format == "camt053" and statement.statement_id == "STMT-2026-11-30"
    assert statement.account == "NL91ABNA0417164300"
    assert states() == ["reconciled", "reconciled", "paid"]
    assert statement.lines.get(reference="XX-9").status == "unmatched"


def test_an_mt940_statement_reconciles_with_a_fee_inside_the_tolerance(payments, finance, bank):
    statement = services.bank_statement_reconcile(file=upload(MT940, "nov.sta"), by=finance, mapping=bank)
    assert statement.format == "mt940" and statement.statement_id.startswith("STMT-2026-11")
    assert states() == ["reconciled", "reconciled", "paid"]
    fee_line = statement.lines.get(reference="FT-002")
    assert fee_line.status == "matched" and fee_line.fee == Decimal("10.00") and "Bank fee EUR 10.00" in fee_line.reason
    assert statement.lines.get(reference="FEE-NOV").status == "unmatched"


def test_a_semicolon_decimal_comma_csv_reconciles_through_the_banks_mapping(payments, finance, bank):
    text = ("Buchungstag;Betrag;Währung;Verwendungszweck\n"
            "30.11.2026;-1.000,00;EUR;FT-001\n"
            "30.11.2026;-1.985,00;EUR;FT-002\n"  # EUR 15 fee: the tolerance, exactly
            "30.11.2026;-2.984,99;EUR;FT-003\n")  # EUR 15.01 short: beyond it
    statement = services.bank_statement_reconcile(file=upload(text.encode("cp1252"), "nov.csv"), by=finance, mapping=bank)
    assert states() == ["reconciled", "reconciled", "paid"]
    assert statement.lines.get(reference="FT-002").fee == Decimal("15.00")
    beyond = statement.lines.get(reference="FT-003")
    assert beyond.status == "unmatched" and "EUR 3,000.00" in beyond.reason
    # A person recognises it: linked by hand, the payment reconciled, the EUR 15.01 recorded as the fee.
    services.statement_line_link(line=beyond, payment=payments[2], by=finance, note="Correspondent bank fee")
    beyond.refresh_from_db()
    assert beyond.status == "linked" and beyond.fee == Decimal("15.01") and states() == ["reconciled"] * 3


def test_a_percentage_tolerance(payments, finance, bank):
    bank.fee_tolerance_amount, bank.fee_tolerance_percent = Decimal("0"), Decimal("1")
    bank.save()
    text = "Buchungstag;Betrag;Währung;Verwendungszweck\n30.11.2026;2.980,00;EUR;FT-002\n30.11.2026;2.969,99;EUR;FT-003\n"
    statement = services.bank_statement_reconcile(file=upload(text.encode("cp1252"), "p.csv"), by=finance, mapping=bank)
    assert statement.lines.get(reference="FT-002").status == "unmatched"  # more than the payment's 2,000
    assert statement.lines.get(reference="FT-003").status == "unmatched"  # 30.01 short: beyond 1% of 3,000
    assert services.fee_tolerance(bank, Decimal("3000")) == Decimal("30")


@pytest.mark.parametrize("kind", ["camt", "mt940", "csv"])
def test_the_same_statement_twice_changes_nothing(payments, finance, bank, kind):
    files = {
        "camt": lambda: (upload(camt053([("1000.00", "EUR", "FT-001")]), "a.xml"), None),
        "mt940": lambda: (upload(MT940, "a.sta"), bank),
        "csv": lambda: (upload("Buchungstag;Betrag;Währung;Verwendungszweck\n30.11.2026;1.000,00;EUR;FT-001\n".encode("cp1252"), "a.csv"), bank),
    }
    file, mapping = files[kind]()
    first = services.bank_statement_reconcile(file=file, by=finance, mapping=mapping)
    counts = (BankStatement.objects.count(), StatementLine.objects.count(), AuditEntry.objects.count(), states())
    file, mapping = files[kind]()
    again = services.bank_statement_reconcile(file=file, by=finance, mapping=mapping)
    assert again.pk == first.pk and again.already_imported
    assert (BankStatement.objects.count(), StatementLine.objects.count(), AuditEntry.objects.count(), states()) == counts


def test_the_same_camt_statement_id_in_another_file_changes_nothing(payments, finance):
    services.bank_statement_reconcile(file=upload(camt053([("1000.00", "EUR", "FT-001")]), "a.xml"), by=finance)
    again = services.bank_statement_reconcile(
        file=upload(camt053([("1000.00", "EUR", "FT-001")]) + "\n", "a-copy.xml"), by=finance)
    assert again.already_imported and BankStatement.objects.count() == 1


MALFORMED = {
    "camt": ("bad.xml", camt053([("1000.00", "EUR", "FT-001"), ("", "EUR", "FT-002")]), "entry 2: the entry has no amount"),
    "camt-not-xml": ("bad.xml", "<Document><BkToCstmrStmt><Stmt>", "not well-formed"),
    "camt-entity": ("bomb.xml", '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><Document>&a;</Document>',
                    "not well-formed CAMT.053"),
    "mt940": ("bad.sta", MT940.replace(":61:2611301130D1990,00NTRFNONREF", ":61:2611301130D19X0,00NTRFNONREF"), "MT940"),
    "csv": ("bad.csv", "Buchungstag;Betrag;Währung;Verwendungszweck\n30.11.2026;1.000,00;EUR;FT-001\n31.11.2026;1,0,0;EUR;FT-002\n",
            "Line 3"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_file_is_refused_whole_with_nothing_stored(payments, finance, bank, kind):
    name, text, message = MALFORMED[kind]
    with pytest.raises(services.StatementError) as error:
        services.bank_statement_reconcile(file=upload(text.encode("cp1252") if kind == "csv" else text, name), by=finance,
                                          mapping=bank if kind == "csv" else None)
    assert message in " ".join(error.value.messages)
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()
    assert states() == ["paid"] * 3


def test_linking_by_hand_refuses_a_payment_that_does_not_fit(payments, finance):
    statement = services.bank_statement_reconcile(file=upload(camt053([("1500.00", "EUR", "WRONG")]), "l.xml"), by=finance)
    line = statement.lines.get()
    with pytest.raises(ValidationError, match="more than the payment"):
        services.statement_line_link(line=line, payment=payments[0], by=finance)
    assert StatementLine.objects.get(pk=line.pk).status == "unmatched"


def test_the_reconcile_page_reads_each_format_and_links_by_hand(client, payments, finance, bank):
    client.force_login(finance)
    url = reverse("disbursements:reconcile")
    response = client.post(url, {"file": upload(MT940, "nov.sta"), "format": "", "mapping": bank.pk}, follow=True)
    assert response.status_code == 200 and "Bank fee EUR 10.00" in response.content.decode()
    line = StatementLine.objects.get(reference="FEE-NOV")
    response = client.post(url, {"file": upload(MT940, "nov.sta"), "format": "mt940", "mapping": bank.pk}, follow=True)
    assert "already read" in response.content.decode()
    response = client.post(reverse("disbursements:statement_line_link", args=[line.pk]),
                           {"payment_reference": "FT-003", "note": "x"}, follow=True)
    assert "more than the payment" not in response.content.decode()
    assert StatementLine.objects.get(pk=line.pk).status == "linked"
