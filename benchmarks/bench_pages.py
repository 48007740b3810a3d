"""Staff list pages at 50,000 applications, 5,000 organisations and ~4,900 grants (× BENCH_SCALE).

The data is made twice over: first a tenth (5,000 applications), where each page's query count
is taken; then the rest, where each page is timed (test client, DEBUG off: 3 warm-ups, then
p50/p95 of 20 requests) and counted again. The issue's target: p95 ≤ 300 ms on PostgreSQL on a
2-core machine, with the query count at 50,000 equal to the count at 5,000.
"""
import datetime
import random
import statistics
import time
from decimal import Decimal

from benchmarks.__main__ import scaled

APPLICATIONS, ORGANISATIONS, GRANTS = 50_000, 5_000, 4_900
REQUESTS, WARM_UPS = 20, 3
TARGET_P95_MS = 300
COUNTRIES = ["KE", "UG", "TZ", "GT", "HN", "NP", "BD", "PH", "CO", "PE", "SN", "ZA", "MX", "IN", "BR", "SS"]
# (label, role, url name, kwargs) — kwargs may name "fund" for the first fund's slug.
PAGES = [
    ("screening queue", "program_officer", "applications:screening", {}),
    ("ready for decision", "program_officer", "reviews:ready", {}),
    ("calls", "program_officer", "reviews:calls", {}),
    ("ranking of a fund", "program_officer", "reviews:ranking", {"slug": "fund"}),
    ("reviewer queue", "reviewer", "reviews:queue", {}),
    ("reviewer's submitted reviews", "reviewer", "reviews:submitted", {}),
    ("finance workspace", "finance_officer", "disbursements:workspace", {}),
    ("payments", "finance_officer", "disbursements:payments", {}),
    ("funds (finance)", "finance_officer", "disbursements:funds", {}),
    ("fund dashboard", "finance_officer", "disbursements:fund_dashboard", {"slug": "fund"}),
    ("home (officer's to-do)", "program_officer", "home", {}),
    ("admin: applications", "admin", "admin:applications_application_changelist", {}),
    ("admin: organisations", "admin", "admin:fundops_organization_changelist", {}),
    ("admin: calls", "admin", "admin:fundops_call_changelist", {}),
    ("admin: audit trail", "admin", "admin:fundops_auditentry_changelist", {}),
]


class World:
    def __init__(self):
        self.rng = random.Random(15)
        self.funds, self.calls, self.users = [], [], {}
        self.organisations = 0
        self.applications = 0
        self.grants = 0


def _users(world):
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fundops.models import User

    for role in ["program_officer", "reviewer", "finance_officer", "admin"]:
        user = User.objects.create_user(f"bench-{role}", f"bench-{role}@example.org", "bench-pass-2026-long",
                                        first_name="Bench", last_name=role.replace("_", " ").title())
        if role == "admin":
            user.is_staff = user.is_superuser = True
            user.save()
        else:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        world.users[role] = user


def _funds(world):
    from fundops.models import Call, Contribution, Donor, Fund

    donor = Donor.objects.create(name="Bench pages donor", slug="bench-pages-donor")
    for n in range(4):
        fund = Fund.objects.create(
            name=f"Bench Pages Fund {n}", slug=f"bench-pages-{n}", base_currency="USD",
            kind=Fund.Kind.RAPID_RESPONSE if n == 0 else Fund.Kind.POOLED, decision_target_hours=72,
            min_grant=Decimal("1000"), max_grant=Decimal("100000"), reviews_required=2,
            opens_on=datetime.date(2023, 1, 1), grant_ref_prefix=f"BP{n}",
        )
        Contribution.objects.create(fund=fund, donor=donor, amount=Decimal("900000000"), currency="USD",
                                    fx_rate=Decimal("1"), fx_date=fund.opens_on, base_amount=Decimal("900000000"),
                                    status="received", received_on=fund.opens_on)
        world.funds.append(fund)
        for c in range(3):
            world.calls.append(Call.objects.create(
                fund=fund, name=f"Round {c}", slug=f"round-{c}",
                opens_at=datetime.datetime(2023, 1, 1, tzinfo=datetime.timezone.utc),
                closes_at=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)))


def grow(world, applications, organisations, grants):
    """Add rows until the world holds this many (bulk inserts; states spread as in a busy fund)."""
    from django.utils import timezone

    from applications.models import Application
    from disbursements.models import Grant, Payment, Tranche
    from fundops.models import Organization
    from fundops.money import to_base
    from reviews.models import Assignment, Review

    rng = world.rng
    Organization.objects.bulk_create(
        [Organization(name=f"Bench member organisation {n}", org_id=f"XI-BP-{n:06d}", country=COUNTRIES[n % len(COUNTRIES)],
                      at_risk=(n % 20 == 0)) for n in range(world.organisations, organisations)],
        batch_size=5000,
    )
    world.organisations = organisations
    org_ids = list(Organization.objects.filter(org_id__startswith="XI-BP-").values_list("pk", flat=True))
    now = timezone.now()
    to_make = applications - world.applications
    grant_share = (grants - world.grants) / max(to_make, 1)
    states = (["submitted"] * 20 + ["in_review"] * 25 + ["info_requested"] * 3 + ["draft"] * 12 + ["declined"] * 30
              + ["withdrawn"] * 10)
    rows, granted = [], []
    for n in range(world.applications, applications):
        call = world.calls[n % len(world.calls)]
        submitted = now - datetime.timedelta(hours=rng.randint(1, 900 * 24))
        is_grant = rng.random() < grant_share
        state = rng.choice(["approved", "disbursing", "disbursed"]) if is_grant else rng.choice(states)
        rows.append(Application(
            organization_id=org_ids[n % len(org_ids)], fund=call.fund, call=call, title=f"Bench application {n}",
            summary="Paralegals and community legal help.", countries=[COUNTRIES[n % len(COUNTRIES)]],
            requested_amount=Decimal(rng.randint(5, 90) * 1000), requested_currency="USD", state=state,
            submitted_at=None if state == "draft" else submitted,
            decision_deadline=None if state == "draft" else submitted + datetime.timedelta(hours=72),
            decided_at=submitted + datetime.timedelta(hours=rng.randint(2, 200)) if is_grant or state == "declined" else None,
            decline_reason="Outside the fund's priorities this round." if state == "declined" else "",
        ))
    made = Application.objects.bulk_create(rows, batch_size=5000)
    world.applications = applications
    granted = [a for a in made if a.state in ("approved", "disbursing", "disbursed")]
    grant_rows = Grant.objects.bulk_create(
        [Grant(application=a, fund=a.fund, organization_id=a.organization_id, reference=f"BP-{a.pk:07d}",
               public_reference=f"UND-BP{a.pk:07d}", amount=a.requested_amount, currency="USD", fx_rate=Decimal("1"),
               fx_date=a.decided_at.date(), base_amount=a.requested_amount, decided_at=a.decided_at)
         for a in granted], batch_size=5000)
    world.grants += len(grant_rows)
    tranches = Tranche.objects.bulk_create(
        [Tranche(grant=g, number=1, amount=g.amount, due_on=g.decided_at.date()) for g in grant_rows], batch_size=5000)
    payments = []
    for grant, tranche, application in zip(grant_rows, tranches, granted):
        if application.state == "approved":
            if rng.random() < 0.5:
                payments.append(Payment(grant=grant, tranche=tranche, amount=grant.amount, currency="USD", state="scheduled",
                                        scheduled_at=now))
            continue
        part = (grant.amount / 2).quantize(Decimal("1"))
        for k in range(2 if application.state == "disbursed" else 1):
            paid_on = grant.decided_at.date() + datetime.timedelta(days=5 + 40 * k)
            payments.append(Payment(grant=grant, tranche=tranche, amount=part, currency="USD", state="paid",
                                    paid_on=paid_on, fx_rate=Decimal("1"), fx_date=paid_on,
                                    base_amount=to_base(part, Decimal("1"), "USD"), reference=f"TRF-BP-{grant.pk}-{k}"))
    Payment.objects.bulk_create(payments, batch_size=5000)
    # The bench reviewer is on a quarter of the in-review applications: most open, some scored.
    reviewer = world.users["reviewer"]
    in_review = [a for a in made if a.state == "in_review"][::4]
    assignments = Assignment.objects.bulk_create(
        [Assignment(application=a, reviewer=reviewer, assigned_at=now, due_at=now + datetime.timedelta(days=rng.randint(1, 20)),
                    status="submitted" if i % 3 == 0 else ("no_conflict" if i % 3 == 1 else "pending"))
         for i, a in enumerate(in_review)], batch_size=5000)
    Review.objects.bulk_create(
        [Review(assignment=a, status="submitted", recommendation="fund", submitted_at=now,
                weighted_score=Decimal(rng.randint(100, 500)) / 100)
         for a in assignments if a.status == "submitted"], batch_size=5000)


def _client(user):
    from django.http import HttpRequest
    from django.test import Client
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    otp_login(request, TOTPDevice.objects.get(user=user))
    request.session.save()
    return client


def _url(world, name, kwargs):
    from django.urls import reverse

    return reverse(name, kwargs={k: (world.funds[0].slug if v == "fund" else v) for k, v in kwargs.items()})


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response.status_code, len(queries), len(response.content)


def _time(client, url):
    for _ in range(WARM_UPS):
        client.get(url)
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def run():
    from django.db import connection

    world = World()
    started = time.perf_counter()
    _users(world)
    _funds(world)
    full = (scaled(APPLICATIONS, 100), scaled(ORGANISATIONS, 10), scaled(GRANTS, 10))
    tenth = tuple(max(1, n // 10) for n in full)
    grow(world, *tenth)
    print(f"generated {tenth[0]:,} applications / {tenth[1]:,} organisations / {world.grants:,} grants "
          f"in {time.perf_counter() - started:.1f} s ({connection.vendor})", flush=True)
    clients = {role: _client(user) for role, user in world.users.items()}
    small = {}
    for label, role, name, kwargs in PAGES:
        try:
            small[label] = _count(clients[role], _url(world, name, kwargs))
        except Exception as error:
            small[label] = (f"error {error.__class__.__name__}", 0, 0)
    started = time.perf_counter()
    grow(world, *full)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"grown to {full[0]:,} applications / {full[1]:,} organisations / {world.grants:,} grants "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    print(f"{'page':<30} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'at ' + format(tenth[0], ','):>9} "
          f"{'KiB':>6}  verdict")
    for label, role, name, kwargs in PAGES:
        url = _url(world, name, kwargs)
        try:
            status, queries, size = _count(clients[role], url)
            p50, p95 = _time(clients[role], url) if status == 200 else (float("nan"), float("nan"))
        except Exception as error:
            print(f"{label:<30} error: {error.__class__.__name__}: {str(error)[:120]}", flush=True)
            continue
        small_status, small_queries, _ = small[label]
        problems = []
        if status != 200:
            problems.append(f"HTTP {status}")
        if p95 > TARGET_P95_MS:
            problems.append(f"p95 > {TARGET_P95_MS} ms")
        if queries != small_queries:
            problems.append("queries grow with N")
        print(f"{label:<30} {status:>6} {p50:>8.0f} {p95:>8.0f} {queries:>8} {small_queries:>9} {size / 1024:>6.0f}  "
              f"{'; '.join(problems) or 'ok'}", flush=True)
