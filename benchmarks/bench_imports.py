"""Import speed: 10,000 organisations and 30,000 payments through the import engine (target ≥ 2,000 rows/s)."""
import csv
import datetime
import io
import time
from decimal import Decimal

ORGANISATIONS = 10_000
PAYMENTS = 30_000
PAYMENTS_PER_GRANT = 3
TARGET = 2_000


def _csv(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _timed(kind, data, **kwargs):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from fundops.data_exchange import run_import

    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        report = run_import(kind, data, **kwargs)
        seconds = time.perf_counter() - start
    rate = report.rows / seconds
    verdict = "ok" if rate >= TARGET else f"BELOW the {TARGET:,} rows/s target"
    print(f"import {kind}: {report.rows:,} rows in {seconds:.2f} s = {rate:,.0f} rows/s ({verdict}); "
          f"{len(queries):,} queries; {report.summary()}", flush=True)
    return report


def _organisations_file():
    from fundops.data_exchange.core import ORGANIZATION_COLUMNS

    countries = ["KE", "UG", "GT", "NP", "SN", "PH", "CO", "ZA", "BD", "MX"]
    rows = [
        [f"XI-BENCH-{n:05d}", f"Community Justice Group {n}", countries[n % len(countries)], "Capital",
         "registered" if n % 3 else "unregistered", f"REG-{n}" if n % 3 else "", "true" if n % 17 == 0 else "false",
         "2019-05-01", f"group{n}@example.org"]
        for n in range(ORGANISATIONS)
    ]
    return _csv(ORGANIZATION_COLUMNS, rows)


def _grants_for_payments(organisations):
    """Grants made quickly (bulk rows, as the factories do), enough to take the payments file."""
    from django.utils import timezone

    from applications.models import Application
    from disbursements.models import Grant, Tranche
    from fundops.models import Contribution, Donor, Fund

    count = PAYMENTS // PAYMENTS_PER_GRANT
    fund = Fund.objects.create(
        name="Benchmark Fund", slug="bench-imports", base_currency="USD", min_grant=Decimal("1000"),
        max_grant=Decimal("100000"), opens_on=datetime.date(2020, 1, 1), grant_ref_prefix="BENCH",
    )
    donor = Donor.objects.create(name="Bench Donor", slug="bench-donor")
    Contribution.objects.create(
        fund=fund, donor=donor, amount=Decimal("1000000000"), currency="USD", fx_rate=1, fx_date=fund.opens_on,
        base_amount=Decimal("1000000000"), status="received", received_on=fund.opens_on,
    )
    Application.objects.bulk_create(
        [Application(organization=organisations[n % len(organisations)], fund=fund, title=f"Bench {n}",
                     requested_amount=Decimal("30000"), requested_currency="USD", state="approved",
                     decided_at=timezone.now()) for n in range(count)],
        batch_size=1000,
    )
    applications = list(Application.objects.filter(fund=fund).order_by("pk"))
    Grant.objects.bulk_create(
        [Grant(application=application, fund=fund, organization_id=application.organization_id,
               reference=f"BENCH-{n:05d}", public_reference=f"UND-BENCH{n:05d}", amount=Decimal("30000"),
               currency="USD", fx_rate=1, fx_date=fund.opens_on, base_amount=Decimal("30000"))
         for n, application in enumerate(applications)],
        batch_size=1000,
    )
    Tranche.objects.bulk_create(
        [Tranche(grant=grant, number=1, amount=grant.amount, due_on=fund.opens_on)
         for grant in Grant.objects.filter(fund=fund)],
        batch_size=1000,
    )
    return [f"BENCH-{n:05d}" for n in range(count)]


def _payments_file(grant_refs):
    from fundops.data_exchange.history import PAYMENT_COLUMNS

    rows = []
    for n in range(PAYMENTS):
        grant_ref = grant_refs[n // PAYMENTS_PER_GRANT]
        paid_on = datetime.date(2021, 1, 1) + datetime.timedelta(days=n % 700)
        rows.append([grant_ref, f"TRF-BENCH-{n:06d}", "10000", "USD", "1", paid_on.isoformat(), "paid"])
    return _csv(PAYMENT_COLUMNS, rows)


def run():
    from fundops.models import Organization, User

    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-admin", "bench@example.org", "bench-pass-2026"
    )
    _timed("organizations", _organisations_file())
    _timed("organizations", _organisations_file())  # the same file again: nothing changes
    organisations = list(Organization.objects.filter(org_id__startswith="XI-BENCH-"))
    try:
        import fundops.data_exchange.history  # noqa: F401
    except ImportError as error:
        print(f"import payments: not measured — {error}", flush=True)
        return
    grant_refs = _grants_for_payments(organisations)
    payments = _payments_file(grant_refs)
    _timed("payments", payments, by=admin)
    _timed("payments", payments, by=admin)  # the same file again: every transfer recorded once
