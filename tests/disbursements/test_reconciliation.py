"""Bank statement reconciliation: all or nothing, matched by reference and amount, the rest listed."""
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from disbursements import services
from disbursements.models import BankStatement, Payment, StatementLine
from tests.disbursements.helpers import approve, funded, paid_payment, ready_application

pytestmark = pytest.mark.django_db


def statement(*lines, header="date,amount,currency,reference"):
    data = io.BytesIO(("\n".join([header, *lines]) + "\n").encode())
    data.name = "statement-november.csv"
    return data


@pytest.fixture
def payments(officer, finance, finance2):
    grant = approve(ready_application(funded()), officer, "10000",
                    plan={"mode": "percent", "parts": [(Decimal("50"), timezone.localdate())] * 2})
    first = paid_payment(grant, finance, finance2, reference="FT-001")
    second = paid_payment(grant, finance, finance2, reference="FT-002")
    return first, second


def test_matching_lines_reconcile_and_the_rest_are_kept_for_a_person(payments, finance):
    first, second = payments
    result = services.bank_statement_reconcile(
        file=statement(
            "2026-11-02,5000.00,USD,FT-001",
            "2026-11-02,4999.00,USD,FT-002",
            "2026-11-03,12.50,USD,BANK-FEE-11",
        ),
        by=finance,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == "reconciled" and second.state == "paid"
    lines = {line.reference: line for line in result.lines.all()}
    assert lines["FT-001"].status == "matched" and lines["FT-001"].payment == first
    assert lines["FT-002"].status == "unmatched" and "USD 5,000.00" in lines["FT-002"].reason
    assert lines["BANK-FEE-11"].reason == "No payment has this reference."
    resolved = services.statement_line_resolve(line=lines["BANK-FEE-11"], by=finance, note="Bank charge, booked.")
    assert resolved.status == "resolved"


def test_nothing_changes_unless_every_line_parses(payments, finance):
    with pytest.raises(services.StatementError) as error:
        services.bank_statement_reconcile(
            file=statement(
                "2026-11-02,5000.00,USD,FT-001",
                "02/11/2026,5000.00,USD,FT-002",
                "2026-11-03,12,5,USD,X",
                "2026-11-03,abc,XXX,",
            ),
            by=finance,
        )
    messages = dict(error.value.lines)
    assert sorted(messages) == [3, 4, 5]
    assert messages[3] == "“02/11/2026” is not a date (use YYYY-MM-DD)."
    assert messages[4].startswith("expected 4 columns, found 5 (a comma inside an amount?")
    assert "“XXX” is not a known currency code" in messages[5] and "the reference is empty" in messages[5]
    assert not Payment.objects.filter(state="reconciled").exists()
    assert not BankStatement.objects.exists() and not StatementLine.objects.exists()


def test_a_header_without_the_columns_is_refused(finance):
    with pytest.raises(services.StatementError, match="missing: reference"):
        services.bank_statement_reconcile(file=statement("2026-11-02,1,USD", header="date,amount,currency"), by=finance)


def test_reading_the_same_statement_twice_changes_nothing_more(payments, finance):
    first, _ = payments
    once = services.bank_statement_reconcile(file=statement("2026-11-02,5000.00,USD,FT-001"), by=finance)
    again = services.bank_statement_reconcile(file=statement("2026-11-02,5000.00,USD,FT-001"), by=finance)
    # The same file is the same statement: it is not stored or read a second time.
    assert again.pk == once.pk and again.already_imported and BankStatement.objects.count() == 1
    assert StatementLine.objects.count() == 1
    # Another statement showing the same payment finds it already reconciled.
    other = services.bank_statement_reconcile(file=statement("2026-11-30,5000.00,USD,FT-001", "2026-11-30,1.00,USD,X"), by=finance)
    line = other.lines.get(reference="FT-001")
    assert line.status == "matched" and line.reason == "Already reconciled."
    assert [e for e in first.__class__.objects.filter(state="reconciled")] == [first]
