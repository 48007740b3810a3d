"""Import speed through `manage.py import_data`, each run a fresh process (target ≥ 5,000 rows/s).

10,000 organisations and 30,000 payments (× BENCH_SCALE), three fresh-process runs each with new
rows (median printed), then the same file again (every row recognised, nothing written).
Two rates: the whole command (Python and Django start-up included) and the import itself
(the command's time less the median start-up of `manage.py import_data --help`).
"""
import csv
import datetime
import io
import os
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from benchmarks.__main__ import scaled

ROOT = Path(__file__).resolve().parent.parent
TARGET = 5_000
RUNS = 3
PAYMENTS_PER_GRANT = 3


def _csv(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _workdir():
    folder = Path(os.environ.get("FUNDOPS_BENCH_WORKDIR", "/tmp")) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _command(*args):
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed: {done.stderr[-800:]}")
    return seconds, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def _startup():
    return statistics.median(_command("import_data", "--help")[0] for _ in range(3))


def _organisations_file(run, count):
    from fundops.data_exchange.core import ORGANIZATION_COLUMNS

    countries = ["KE", "UG", "GT", "NP", "SN", "PH", "CO", "ZA", "BD", "MX"]
    rows = [
        [f"XI-BENCH-{run}-{n:05d}", f"Community Justice Group {run}-{n}", countries[n % len(countries)], "Capital",
         "registered" if n % 3 else "unregistered", f"REG-{n}" if n % 3 else "", "true" if n % 17 == 0 else "false",
         "2019-05-01", f"group{run}-{n}@example.org"]
        for n in range(count)
    ]
    return _csv(ORGANIZATION_COLUMNS, rows)


def _grants_for_payments(count, runs):
    """Grants made quickly (bulk rows), each with room for `runs` files of PAYMENTS_PER_GRANT payments."""
    from django.utils import timezone

    from applications.models import Application
    from disbursements.models import Grant, Tranche
    from fundops.models import Contribution, Donor, Fund, Organization

    fund = Fund.objects.create(
        name="Benchmark Imports Fund", slug="bench-imports", base_currency="USD", min_grant=Decimal("1000"),
        max_grant=Decimal("1000000"), opens_on=datetime.date(2020, 1, 1), grant_ref_prefix="BENCHI",
    )
    donor = Donor.objects.create(name="Bench Imports Donor", slug="bench-imports-donor")
    Contribution.objects.create(
        fund=fund, donor=donor, amount=Decimal("10000000000"), currency="USD", fx_rate=1, fx_date=fund.opens_on,
        base_amount=Decimal("10000000000"), status="received", received_on=fund.opens_on,
    )
    organisations = list(Organization.objects.order_by("pk")[:2000])
    amount = Decimal("10000") * PAYMENTS_PER_GRANT * runs
    Application.objects.bulk_create(
        [Application(organization=organisations[n % len(organisations)], fund=fund, title=f"Bench import {n}",
                     requested_amount=amount, requested_currency="USD", state="approved", decided_at=timezone.now())
         for n in range(count)],
        batch_size=2000,
    )
    applications = list(Application.objects.filter(fund=fund).order_by("pk"))
    grants = Grant.objects.bulk_create(
        [Grant(application=application, fund=fund, organization_id=application.organization_id,
               reference=f"BENCHI-{n:06d}", public_reference=f"UND-BENCHI{n:06d}", amount=amount,
               currency="USD", fx_rate=1, fx_date=fund.opens_on, base_amount=amount)
         for n, application in enumerate(applications)],
        batch_size=2000,
    )
    Tranche.objects.bulk_create([Tranche(grant=grant, number=1, amount=grant.amount, due_on=fund.opens_on)
                                 for grant in grants], batch_size=2000)
    return [grant.reference for grant in grants]


def _payments_file(run, grant_refs, count):
    from fundops.data_exchange.history import PAYMENT_COLUMNS

    rows = []
    for n in range(count):
        paid_on = datetime.date(2021, 1, 1) + datetime.timedelta(days=n % 700)
        rows.append([grant_refs[n // PAYMENTS_PER_GRANT], f"TRF-BENCH-{run}-{n:06d}", "10000", "USD", "1",
                     paid_on.isoformat(), "paid"])
    return _csv(PAYMENT_COLUMNS, rows)


def _measure(kind, files, startup, extra=()):
    whole = []
    for path in files:
        seconds, summary = _command("import_data", kind, str(path), "--verbosity", "0", *extra)
        whole.append(seconds)
    again, again_summary = _command("import_data", kind, str(files[0]), "--verbosity", "0", *extra)
    rows = sum(1 for _ in open(files[0], encoding="utf-8")) - 1
    median = statistics.median(whole)
    rate_whole, rate_import = rows / median, rows / max(median - startup, 1e-6)
    verdict = "ok" if rate_import >= TARGET else f"BELOW the {TARGET:,} rows/s target"
    print(f"import {kind}: {rows:,} rows, fresh process, median of {len(whole)}: {median:.2f} s "
          f"(runs {', '.join(f'{s:.2f}' for s in whole)}) = {rate_whole:,.0f} rows/s whole command, "
          f"{rate_import:,.0f} rows/s without start-up ({verdict})", flush=True)
    print(f"  last run: {summary}", flush=True)
    print(f"  same file again: {again:.2f} s = {rows / max(again - startup, 1e-6):,.0f} rows/s without start-up; "
          f"{again_summary}", flush=True)


def run():
    from django.contrib.auth import get_user_model

    folder = _workdir()
    organisations = scaled(10_000, 100)
    payments = scaled(30_000, 300)
    startup = _startup()
    print(f"start-up of `manage.py import_data` (median of 3): {startup:.2f} s", flush=True)
    org_files = []
    for run in range(RUNS):
        path = folder / f"organisations-{run}.csv"
        path.write_bytes(_organisations_file(run, organisations))
        org_files.append(path)
    _measure("organizations", org_files, startup)

    user = get_user_model().objects.filter(username="bench-importer").first() or get_user_model().objects.create_superuser(
        "bench-importer", "bench-importer@example.org", "bench-pass-2026-long")
    grant_refs = _grants_for_payments(payments // PAYMENTS_PER_GRANT, RUNS)
    pay_files = []
    for run in range(RUNS):
        path = folder / f"payments-{run}.csv"
        path.write_bytes(_payments_file(run, grant_refs, payments))
        pay_files.append(path)
    _measure("payments", pay_files, startup, extra=("--user", user.username))
