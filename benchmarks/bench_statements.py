"""Reconciling a bank statement of 10,000 lines (× BENCH_SCALE) through
disbursements.services.bank_statement_reconcile (target ≥ 5,000 lines/s).

Each run reads a new statement against its own 10,000 paid payments: a bank's semicolon,
decimal-comma CSV through its saved mapping, 90% of lines matching exactly, 5% short by a fee
within the tolerance, 5% matching nothing. Three runs, median printed; then one CAMT.053 and one
MT940 statement of the same size, and the peak memory of a run (tracemalloc, a separate run:
tracing slows Python down).
"""
import datetime
import io
import statistics
import time
import tracemalloc
from decimal import Decimal

from benchmarks.__main__ import scaled

TARGET = 5_000
RUNS = 3


def _world():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from applications.models import Application
    from disbursements.models import BankCsvMapping, Grant, Tranche
    from fundops.models import Contribution, Donor, Fund, Organization

    fund = Fund.objects.create(
        name="Benchmark Statements Fund", slug="bench-statements", base_currency="EUR", min_grant=Decimal("100"),
        max_grant=Decimal("100000000"), opens_on=datetime.date(2020, 1, 1), grant_ref_prefix="BENCHS",
    )
    donor = Donor.objects.create(name="Bench Statements Donor", slug="bench-statements-donor")
    Contribution.objects.create(
        fund=fund, donor=donor, amount=Decimal("10000000000"), currency="EUR", fx_rate=1, fx_date=fund.opens_on,
        base_amount=Decimal("10000000000"), status="received", received_on=fund.opens_on,
    )
    organisation = Organization.objects.create(name="Bench Statements Grantee", org_id="XI-BENCH-STATEMENTS", country="KE")
    application = Application.objects.create(organization=organisation, fund=fund, title="Bench statements",
                                             requested_amount=Decimal("100000000"), requested_currency="EUR",
                                             state="disbursing", decided_at=timezone.now())
    grant = Grant.objects.create(application=application, fund=fund, organization=organisation, reference="BENCHS-000001",
                                 amount=Decimal("100000000"), currency="EUR", fx_rate=1, fx_date=fund.opens_on,
                                 base_amount=Decimal("100000000"))
    tranche = Tranche.objects.create(grant=grant, number=1, amount=grant.amount, due_on=fund.opens_on)
    user = get_user_model().objects.create_user("bench-finance", "bench-finance@example.org", "bench-pass-2026-long")
    user.groups.add(Group.objects.get_or_create(name="finance_officer")[0])
    mapping = BankCsvMapping.objects.create(
        bank_name="Bench Bank", delimiter=";", date_format="%d.%m.%Y", decimal_comma=True, thousands_separator=".",
        date_column="Buchungstag", amount_column="Betrag", reference_column="Verwendungszweck",
        currency_column="Währung", fee_tolerance_amount=Decimal("15"),
    )
    return grant, tranche, user, mapping


def _paid_payments(grant, tranche, run, count):
    """`count` paid payments (bulk rows, as history): references BENCH-<run>-<n>."""
    from disbursements.models import Payment

    paid_on = datetime.date(2026, 11, 2)
    Payment.objects.bulk_create([
        Payment(grant=grant, tranche=tranche, amount=Decimal("1000.00") + n % 500, currency="EUR", state="paid",
                paid_on=paid_on, fx_rate=1, fx_date=paid_on, base_amount=Decimal("1000.00") + n % 500,
                reference=f"BENCH-{run}-{n:06d}")
        for n in range(count)
    ], batch_size=2000)


def _lines(run, count):
    """(date, amount, reference) of each statement line: exact, fee-deducted or unknown."""
    rows = []
    for n in range(count):
        amount = Decimal("1000.00") + n % 500
        if n % 20 == 1:
            amount -= Decimal("7.50")  # a bank fee inside the tolerance
        reference = f"BENCH-{run}-{n:06d}" if n % 20 != 2 else f"UNKNOWN-{run}-{n}"
        rows.append((datetime.date(2026, 11, 3), amount, reference))
    return rows


def _csv(rows):
    lines = ["Buchungstag;Betrag;Währung;Verwendungszweck"]
    for date, amount, reference in rows:
        whole, cents = f"{amount:.2f}".split(".")
        lines.append(f"{date:%d.%m.%Y};-{int(whole):,}".replace(",", ".") + f",{cents};EUR;{reference}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _camt(rows, run):
    entries = "".join(
        f'<Ntry><Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>DBIT</CdtDbtInd><BookgDt><Dt>{date.isoformat()}</Dt></BookgDt>'
        f"<NtryDtls><TxDtls><Refs><EndToEndId>{reference}</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>"
        for date, amount, reference in rows)
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            f"<BkToCstmrStmt><Stmt><Id>BENCH-CAMT-{run}</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>"
            f"{entries}</Stmt></BkToCstmrStmt></Document>").encode("utf-8")


def _mt940(rows, run):
    total = sum(amount for _, amount, _ in rows)
    body = "".join(f":61:{date:%y%m%d}{date:%m%d}D{amount:.2f}NTRF{reference[:16]}\n:86:/EREF/{reference}\n".replace(".", ",", 1)
                   for date, amount, reference in rows)
    opening = Decimal("100000000.00")
    return (f":20:BENCH-MT-{run}\n:25:NL91ABNA0417164300\n:28C:{run}/1\n:60F:C261101EUR{opening:.2f}\n".replace(".", ",")
            + body + f":62F:C261103EUR{opening - total:.2f}\n".replace(".", ",")).encode("utf-8")


def _reconcile(content, name, user, mapping=None):
    from disbursements.services import bank_statement_reconcile

    upload = io.BytesIO(content)
    upload.name = name
    started = time.perf_counter()
    statement = bank_statement_reconcile(file=upload, by=user, mapping=mapping)
    return time.perf_counter() - started, statement


def run():
    count = scaled(10_000, 100)
    grant, tranche, user, mapping = _world()
    print(f"{count:,} lines per statement: 90% exact, 5% fee-deducted (within EUR 15), 5% unknown", flush=True)
    seconds = []
    for run_number in range(RUNS):
        _paid_payments(grant, tranche, run_number, count)
        elapsed, statement = _reconcile(_csv(_lines(run_number, count)), f"bench-{run_number}.csv", user, mapping)
        matched = statement.lines.filter(status="matched").count()
        seconds.append(elapsed)
        print(f"  CSV run {run_number + 1}: {elapsed:.2f} s, {count / elapsed:,.0f} lines/s ({matched:,} matched)", flush=True)
    median = statistics.median(seconds)
    rate = count / median
    print(f"CSV (bank mapping): median {median:.2f} s = {rate:,.0f} lines/s "
          f"({'meets' if rate >= TARGET else 'BELOW'} the {TARGET:,} lines/s goal)", flush=True)

    for offset, (label, build, name) in enumerate([("CAMT.053", _camt, "bench.xml"), ("MT940", _mt940, "bench.sta")]):
        run_number = RUNS + offset
        _paid_payments(grant, tranche, run_number, count)
        elapsed, _ = _reconcile(build(_lines(run_number, count), run_number), name, user)
        print(f"{label}: {elapsed:.2f} s = {count / elapsed:,.0f} lines/s", flush=True)

    run_number = RUNS + 2
    _paid_payments(grant, tranche, run_number, count)
    content = _csv(_lines(run_number, count))
    tracemalloc.start()
    _reconcile(content, "bench-memory.csv", user, mapping)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory while reconciling {count:,} lines (tracemalloc): {peak / 1024 / 1024:.1f} MiB", flush=True)
