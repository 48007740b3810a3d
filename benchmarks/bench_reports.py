"""Donor report at scale: 10,000 grants, 30,000 payments, 120 countries, 12 currencies (× BENCH_SCALE).

Each format is generated in a fresh process (`python -m benchmarks.report_one`, median of 3 runs),
which prints its seconds, queries and peak RSS. Beside each, a floor this bench draws from the
same rows already in memory: the PDF against a raw ReportLab canvas writing the annex rows, the
XLSX against openpyxl write-only writing the same five sheets, the CSV against its own SQL query,
and the per-country totals against one raw SQL GROUP BY over the unnested countries. Targets
(issue 15): PDF ≤ 2×, XLSX ≤ 1.5×, CSV ≤ 2×, per-country totals ≤ 1.5×. Query counts at a fund
a tenth the size show they do not grow with the grants.
"""
import datetime
import io
import json
import random
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks.__main__ import scaled

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
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


PERIOD = ("2024-01-01", "2026-12-31")
TARGETS = {"pdf": 2.0, "xlsx": 1.5, "csv": 2.0, "totals": 1.5}


def _fresh(slug, fmt):
    """One report in a fresh process: {"seconds", "queries", "bytes", "max_rss_mib"}."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.report_one", slug, fmt, *PERIOD], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-1500:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(function, runs=RUNS):
    """Median seconds of `runs` calls (after one warm-up) and the last result."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def pdf_floor(report):
    """The annex rows drawn on a raw canvas: one drawString per cell, nothing measured or clipped."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from fundops.money import quantize

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    y = 780
    cur = report.currency
    for row in report.annex:
        if y < 60:
            pdf.showPage()
            y = 780
        pdf.setFont("Helvetica", 7)
        pdf.drawString(54, y, row["reference"])
        pdf.drawString(146, y, row["organisation"][:30])
        pdf.drawString(271, y, row["country"][:36])
        pdf.drawRightString(480, y, f"{quantize(row['awarded'], cur):,.2f}")
        pdf.drawRightString(542, y, f"{quantize(row['disbursed'], cur):,.2f}")
        y -= 12.5
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def xlsx_floor(report):
    """The same five sheets' rows written by openpyxl in write-only mode, no widths or formats."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheets = {
        "Summary": [["Fund", report.fund.name], ["Committed", report.committed], ["Disbursed", report.disbursed]],
        "By country": [[r["country_code"], r["country"], r["region"], r["grants"], r["organisations"], r["committed"],
                        r["disbursed"], report.currency] for r in report.country_rows],
        "By region": [[r["region"], r["grants"], r["organisations"], r["committed"], r["disbursed"]] for r in report.regions],
        "Grants": [[g["reference"], g["organisation"], g["country"], g["decided_on"], g["awarded"], g["committed"],
                    g["disbursed"], g["status"]] for g in report.annex],
        "Payments": [[p["paid_on"], p["grant"], p["organisation"], p["currency"], p["amount"], p["fx_rate"],
                      p["base_amount"]] for p in report.payments],
    }
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# The floor of the per-country figures: one GROUP BY summing the paid payments over the unnested
# countries (an equal fractional split: no remainder rule, no undisclosed rows, no counts).
_RAW_GROUP_BY = {
    "postgresql": """
        SELECT c.code, SUM(p.base_amount / CARDINALITY(STRING_TO_ARRAY(a.countries, ',')))
        FROM disbursements_payment p JOIN disbursements_grant g ON g.id = p.grant_id
             JOIN applications_application a ON a.id = g.application_id,
             UNNEST(STRING_TO_ARRAY(a.countries, ',')) AS c(code)
        WHERE g.fund_id = %s AND p.state IN ('paid', 'reconciled') AND p.paid_on BETWEEN %s AND %s
        GROUP BY c.code""",
    "sqlite": """
        SELECT c.value, SUM(p.base_amount / (LENGTH(a.countries) - LENGTH(REPLACE(a.countries, ',', '')) + 1))
        FROM disbursements_payment p JOIN disbursements_grant g ON g.id = p.grant_id
             JOIN applications_application a ON a.id = g.application_id,
             json_each('["' || REPLACE(a.countries, ',', '","') || '"]') AS c
        WHERE g.fund_id = %s AND p.state IN ('paid', 'reconciled') AND p.paid_on BETWEEN %s AND %s
        GROUP BY c.value""",
}


def raw_group_by(fund):
    with connection.cursor() as cursor:
        cursor.execute(_RAW_GROUP_BY[connection.vendor], [fund.pk, *PERIOD])
        return cursor.fetchall()


def run():
    from reports.builders import build_donor_report
    from reports.selectors import Period, fund_country_totals

    grants = scaled(GRANTS, 100)
    started = time.perf_counter()
    fund = make_fund("big", grants)
    make_fund("small", max(10, grants // 10), seed=8)  # the query counts at a tenth of the size
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"generated {grants:,} + {grants // 10:,} grants, {grants * PAYMENTS_PER_GRANT * 11 // 10:,} payments, "
          f"{COUNTRIES} countries, {len(CURRENCIES)} currencies in {time.perf_counter() - started:.1f} s "
          f"({connection.vendor})", flush=True)
    period = Period(datetime.date.fromisoformat(PERIOD[0]), datetime.date.fromisoformat(PERIOD[1]))

    # Floors, from the same rows in memory (built once here; building is not part of a floor).
    report = build_donor_report(fund=fund, period=period, with_payments=True)
    floors = {"pdf": _best(lambda: pdf_floor(report))[0], "xlsx": _best(lambda: xlsx_floor(report))[0]}
    csv_query = _best(lambda: fund_country_totals(fund=fund, period=period))[0]
    floors["csv"] = csv_query
    raw = _best(lambda: raw_group_by(fund))[0]

    print("seconds: median of 3 fresh processes, each timing its second report (a running worker); cold = its first")
    print(f"{'format':<7} {'median s':>9} {'cold s':>7} {'floor s':>8} {'ratio':>6} {'cold×':>6} {'target':>7} "
          f"{'queries':>8} {'q@1/10':>7} {'peak RSS MiB':>13} {'KiB':>7}")
    for fmt in ["pdf", "xlsx", "csv"]:
        runs = [_fresh("big", fmt) for _ in range(RUNS)]
        seconds = statistics.median(r["seconds"] for r in runs)
        cold = statistics.median(r["cold_seconds"] for r in runs)
        small_queries = _fresh("small", fmt)["queries"]
        ratio = seconds / floors[fmt]
        verdict = "ok" if ratio <= TARGETS[fmt] else "ABOVE target"
        print(f"{fmt:<7} {seconds:>9.3f} {cold:>7.2f} {floors[fmt]:>8.3f} {ratio:>5.2f}× {cold / floors[fmt]:>5.1f}× "
              f"{TARGETS[fmt]:>6.1f}× {runs[0]['queries']:>8} {small_queries:>7} "
              f"{max(r['max_rss_mib'] for r in runs):>13.0f} {runs[0]['bytes'] / 1024:>7.0f}  {verdict}", flush=True)
    ratio = csv_query / raw
    print(f"per-country totals (selectors.fund_country_totals) {csv_query * 1000:.1f} ms vs one raw SQL GROUP BY "
          f"{raw * 1000:.1f} ms = {ratio:.2f}× (target ≤ {TARGETS['totals']}×: {'ok' if ratio <= TARGETS['totals'] else 'ABOVE'})",
          flush=True)
    with CaptureQueriesContext(connection) as queries:
        build_donor_report(fund=fund, period=period, fmt="csv")
    print(f"CSV build: {len(queries)} query; the PDF/XLSX annex and speed figures are not fetched for it", flush=True)
