"""Donor report at scale: 10,000 grants, 30,000 payments, 120 countries, 12 currencies.

Prints, for the PDF (with its annex), the XLSX and the CSV: seconds, peak Python memory
(tracemalloc, a second run), the process's max RSS, and the database queries used — and the
same query counts for a fund a tenth the size, to show they do not grow with the grants.
"""
import datetime
import random
import resource
import time
import tracemalloc
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

GRANTS = 10_000
PAYMENTS_PER_GRANT = 3
COUNTRIES = 120
CURRENCIES = {
    "USD": "1", "EUR": "1.0850", "GBP": "1.2650", "KES": "0.0077", "UGX": "0.00027", "INR": "0.0120",
    "BRL": "0.1980", "PHP": "0.0178", "XOF": "0.00165", "MXN": "0.0580", "NPR": "0.0075", "ZAR": "0.0540",
}


def _country_codes():
    from django_countries import countries

    from fundops.regions import SUBREGION_BY_COUNTRY

    known = {code for code, _ in countries}
    return sorted(code for code in SUBREGION_BY_COUNTRY if code in known and len(code) == 2)[:COUNTRIES]


def make_fund(slug, grants, seed=7):
    """A fund with `grants` grants (10% at-risk grantees, a quarter in two countries) and 3 paid payments each."""
    from applications.models import Application
    from disbursements.models import Grant, Payment, Tranche
    from fundops.models import Contribution, Donor, Fund, Organization
    from fundops.money import to_base

    rng = random.Random(seed)
    codes = _country_codes()
    currencies = list(CURRENCIES)
    fund = Fund.objects.create(
        name=f"Benchmark Fund {slug}", slug=slug, kind=Fund.Kind.RAPID_RESPONSE, base_currency="USD",
        min_grant=Decimal("1000"), max_grant=Decimal("100000"), decision_target_hours=72, reviews_required=1,
        opens_on=datetime.date(2024, 1, 1), grant_ref_prefix=f"BENCH-{slug}",
    )
    donor = Donor.objects.create(name=f"Bench donor {slug}", slug=f"bench-donor-{slug}")
    Contribution.objects.create(
        fund=fund, donor=donor, amount=Decimal("500000000"), currency="USD", fx_rate=Decimal("1"),
        fx_date=datetime.date(2024, 1, 2), base_amount=Decimal("500000000"), status="received",
        received_on=datetime.date(2024, 1, 2),
    )
    organisations = Organization.objects.bulk_create(
        Organization(name=f"{slug} member organisation {i}", org_id=f"XI-BENCH-{slug}-{i}", country=rng.choice(codes),
                     at_risk=(i % 10 == 0))
        for i in range(grants // 2)
    )
    start = datetime.datetime(2024, 1, 1, 9, tzinfo=datetime.timezone.utc)
    applications, grant_rows = [], []
    for i in range(grants):
        org = organisations[i % len(organisations)]
        decided = start + datetime.timedelta(hours=rng.randint(0, 700 * 24))
        countries = [org.country.code] if i % 4 else sorted(rng.sample(codes, 2))
        applications.append(Application(
            organization=org, fund=fund, title=f"Grant {i}", countries=countries, state="disbursing",
            requested_amount=Decimal("20000"), requested_currency="USD",
            submitted_at=decided - datetime.timedelta(hours=rng.randint(4, 120)), decided_at=decided,
        ))
    applications = Application.objects.bulk_create(applications, batch_size=2000)
    for i, application in enumerate(applications):
        currency = currencies[i % len(currencies)]
        rate = Decimal(CURRENCIES[currency])
        amount = (Decimal("20000") / rate).quantize(Decimal("1"))
        grant_rows.append(Grant(
            application=application, fund=fund, organization=application.organization,
            reference=f"BENCH-{slug}-{i:05d}", public_reference=f"UND-{slug[:3].upper()}{i:06d}",
            amount=amount, currency=currency, fx_rate=rate, fx_date=application.decided_at.date(),
            base_amount=to_base(amount, rate, "USD"), decided_at=application.decided_at,
        ))
    grant_rows = Grant.objects.bulk_create(grant_rows, batch_size=2000)
    tranches = Tranche.objects.bulk_create(
        (Tranche(grant=g, number=1, amount=g.amount, due_on=g.decided_at.date()) for g in grant_rows), batch_size=2000
    )
    payments = []
    for grant, tranche in zip(grant_rows, tranches):
        part = (grant.amount / PAYMENTS_PER_GRANT).quantize(Decimal("1"))
        for n in range(PAYMENTS_PER_GRANT):
            paid_on = grant.decided_at.date() + datetime.timedelta(days=rng.randint(1, 10) + 60 * n)
            rate = (grant.fx_rate * Decimal(rng.uniform(0.95, 1.05)).quantize(Decimal("0.0001"))).quantize(Decimal("0.0000000001"))
            payments.append(Payment(
                grant=grant, tranche=tranche, amount=part, currency=grant.currency, state="paid", paid_on=paid_on,
                fx_rate=rate, fx_date=paid_on, base_amount=to_base(part, rate, "USD"),
                reference=f"TRF-{grant.reference}-{n}",
            ))
    Payment.objects.bulk_create(payments, batch_size=5000)
    return fund


def _measure(fund, period, fmt, with_memory):
    from reports.services import file_donor_report

    if with_memory:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        content = file_donor_report(fund=fund, period=period, fmt=fmt)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    peak = None
    if with_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, cpu, len(queries), peak, len(content)


def run():
    from reports.selectors import Period

    started = time.perf_counter()
    fund = make_fund("big", GRANTS)
    small = make_fund("small", GRANTS // 10, seed=8)
    print(f"generated {GRANTS:,} + {GRANTS // 10:,} grants, {GRANTS * PAYMENTS_PER_GRANT * 11 // 10:,} payments, "
          f"{COUNTRIES} countries, {len(CURRENCIES)} currencies in {time.perf_counter() - started:.1f} s", flush=True)
    period = Period(datetime.date(2024, 1, 1), datetime.date(2026, 12, 31))
    _measure(small, period, "csv", False)  # warm imports and fonts so the first figure is not the import time
    # Wall seconds suffer when other work shares the two cores; CPU seconds show this process's own cost.
    print(f"{'format':<6} {'seconds':>8} {'cpu s':>6} {'queries':>8} {'queries@1k':>10} {'peak MiB':>9} {'size KiB':>9}")
    for fmt in ["pdf", "xlsx", "csv"]:
        seconds, cpu, queries, _, size = _measure(fund, period, fmt, False)
        small_queries = _measure(small, period, fmt, False)[2]
        peak = _measure(fund, period, fmt, True)[3]
        print(f"{fmt:<6} {seconds:>8.2f} {cpu:>6.2f} {queries:>8} {small_queries:>10} {peak / 2**20:>9.1f} {size / 1024:>9.0f}",
              flush=True)
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process max RSS {maxrss:.0f} MiB; PDF target < 5 s with queries independent of the number of grants")
