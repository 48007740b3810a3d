"""Demo part 1: role groups, one user per role, donors, the two demo funds and their money.

Idempotent: everything is looked up by its natural key before it is created.
"""
import datetime
from decimal import Decimal

from django.contrib.auth.models import Group

from . import roles
from .models import Contribution, Donor, Fund, User
from .money import to_base

DEMO_PASSWORD = "demo-pass-2026"
# (username, role label) printed by load_demo; the applicant's organisation is set by applications.demo.
DEMO_USERS = [
    ("applicant", "Applicant"),
    ("reviewer", "Reviewer"),
    ("reviewer2", "Reviewer (second)"),
    ("officer", "Program officer"),
    ("finance", "Finance officer"),
    ("finance2", "Finance officer (second)"),
    ("donor", "Donor"),
    ("admin", "Administrator"),
]
_USER_SPECS = {
    "applicant": ("Amina", "Odhiambo", [roles.APPLICANT]),
    "reviewer": ("Rosa", "Quispe", [roles.REVIEWER]),
    "reviewer2": ("Tomas", "Reyes", [roles.REVIEWER]),
    "officer": ("Priya", "Natarajan", [roles.PROGRAM_OFFICER]),
    "finance": ("Kwame", "Mensah", [roles.FINANCE_OFFICER]),
    "finance2": ("Lucia", "Fernández", [roles.FINANCE_OFFICER]),
    "donor": ("Helen", "Park", [roles.DONOR]),
    "admin": ("Ada", "Admin", []),
}

DONORS = [
    ("open-society-justice", "Open Justice Foundation", Donor.Kind.FOUNDATION, "US"),
    ("nordic-rights-trust", "Nordic Rights Trust", Donor.Kind.FOUNDATION, "SE"),
    ("solidarity-collective", "Solidarity Collective Giving Circle", Donor.Kind.INDIVIDUAL, "GB"),
    ("dutch-mfa", "Ministry of Foreign Affairs of the Netherlands", Donor.Kind.GOVERNMENT, "NL"),
    ("swiss-dev-coop", "Swiss Agency for Development Cooperation", Donor.Kind.GOVERNMENT, "CH"),
]

COVID_SLUG = "covid19-grassroots-justice"
LEF_SLUG = "legal-empowerment-fund"


def _user(username):
    first, last, role_names = _USER_SPECS[username]
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.fundops.org"},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        if username == "admin":
            user.is_staff = user.is_superuser = True
        user.save()
    for name in role_names:
        user.groups.add(Group.objects.get(name=name))
    return user


def _contribution(fund, donor_slug, amount, currency, rate, received_on):
    donor = Donor.objects.get(slug=donor_slug)
    Contribution.objects.get_or_create(
        fund=fund,
        donor=donor,
        reference=f"DEMO-{fund.slug[:10]}-{donor_slug[:12]}",
        defaults=dict(
            amount=amount,
            currency=currency,
            fx_rate=rate,
            fx_date=received_on,
            base_amount=to_base(amount, rate, fund.base_currency),
            status=Contribution.Status.RECEIVED,
            pledged_on=received_on - datetime.timedelta(days=30),
            received_on=received_on,
        ),
    )


def load(stdout):
    for name in roles.ROLES:
        Group.objects.get_or_create(name=name)
    for username, _ in DEMO_USERS:
        _user(username)
    for slug, name, kind, country in DONORS:
        Donor.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind, "country": country})
    User.objects.filter(username="donor").update(donor=Donor.objects.get(slug="open-society-justice"))

    covid, _ = Fund.objects.get_or_create(
        slug=COVID_SLUG,
        defaults=dict(
            name="COVID-19 Grassroots Justice Fund",
            kind=Fund.Kind.RAPID_RESPONSE,
            description=(
                "Rapid grants to grassroots justice groups helping communities face the COVID-19 "
                "pandemic and its economic fallout, chosen by a panel of community leaders."
            ),
            base_currency="USD",
            min_grant=Decimal("2000"),
            max_grant=Decimal("20000"),
            decision_target_hours=72,
            reviews_required=1,
            opens_on=datetime.date(2020, 4, 1),
            closes_on=None,
            grant_ref_prefix="GJN-COVID19",
        ),
    )
    # $1,000,000 received from three donors.
    _contribution(covid, "open-society-justice", Decimal("500000"), "USD", Decimal("1"), datetime.date(2020, 4, 15))
    _contribution(covid, "nordic-rights-trust", Decimal("2820000"), "SEK", Decimal("0.1063829787"), datetime.date(2020, 5, 4))
    _contribution(covid, "solidarity-collective", Decimal("160000"), "GBP", Decimal("1.2500000000"), datetime.date(2020, 5, 20))

    lef, _ = Fund.objects.get_or_create(
        slug=LEF_SLUG,
        defaults=dict(
            name="Legal Empowerment Fund",
            kind=Fund.Kind.POOLED,
            description=(
                "A pooled multi-donor fund mobilising $100 million over 10 years for grassroots "
                "legal empowerment: community paralegals, legal aid and justice defenders."
            ),
            base_currency="USD",
            min_grant=Decimal("10000"),
            max_grant=Decimal("150000"),
            reviews_required=2,
            opens_on=datetime.date(2021, 9, 1),
            closes_on=None,
            grant_ref_prefix="GJN-LEF",
        ),
    )
    _contribution(lef, "open-society-justice", Decimal("2000000"), "USD", Decimal("1"), datetime.date(2021, 10, 1))
    _contribution(lef, "dutch-mfa", Decimal("1500000"), "EUR", Decimal("1.1600000000"), datetime.date(2021, 11, 15))
    _contribution(lef, "swiss-dev-coop", Decimal("1000000"), "CHF", Decimal("1.0850000000"), datetime.date(2022, 2, 1))
    stdout.write("Demo funds, donors and users ready.")
