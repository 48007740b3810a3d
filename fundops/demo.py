"""Demo part 1: role groups, one user per role, donors, the two demo funds and their money.

Idempotent: everything is looked up by its natural key before it is created.
"""
import datetime
from base64 import b32decode
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import roles
from .models import Call, Contribution, Donor, Fund, Organization, User
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
# The demo staff's second factor: one authenticator secret, public like the demo password, so anyone
# trying the demo can add it to an app or ask `manage.py demo_totp` for the current code. Only
# load_demo creates these devices, and load_demo refuses to run on a production configuration.
DEMO_TOTP_SECRET = "MZ2W4ZDPOBZS2ZDFNVXS25DPORYC2MRW"  # base32 of b"fundops-demo-totp-26"
DEMO_TOTP_DEVICE_NAME = "Demo authenticator (public secret)"
DEMO_TOTP_USERS = ["officer", "finance", "finance2", "admin"]
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
COVID_CALL_SLUG = "rolling-window"
LEF_CALL_SLUG = "open-call-2026"
APPLICANT_ORG_ID = "KE-RCO-CPR-2014-128905"

R, U = Organization.RegistrationStatus.REGISTERED, Organization.RegistrationStatus.UNREGISTERED
# The member network: (org-id.guide identifier, or None for an unregistered group, which gets the
# publisher prefix), name, country, city, registration status, contact, at risk.
# Invented names in the network's own voice; at-risk members are never named in reports.
ORGANIZATIONS = [
    # Eastern, Western, Middle and Southern Africa
    (APPLICANT_ORG_ID, "Kituo cha Haki Jamii", "KE", "Nairobi", R, "Amina Odhiambo", False),
    ("KE-RCO-CPR-2016-231744", "Mombasa Community Paralegal Network", "KE", "Mombasa", R, "Hassan Mwinyi", False),
    (None, "Turkana Women's Land Rights Forum", "KE", "Lodwar", U, "Akai Lokwang", False),
    ("UG-NGB-INDR-4417", "Haki Mashinani Uganda", "UG", "Gulu", R, "Grace Akello", False),
    ("UG-NGB-INDR-5120", "Rainbow Legal Defence Uganda", "UG", "Kampala", R, "J. N.", True),
    ("TZ-BRLA-00093412", "Msaada wa Sheria Arusha", "TZ", "Arusha", R, "Neema Laizer", False),
    ("NG-CAC-IT-118204", "Justice Access Initiative Nigeria", "NG", "Lagos", R, "Chiamaka Obi", False),
    ("NG-CAC-IT-140377", "Northern Nigeria Paralegal Alliance", "NG", "Kano", R, "Aisha Bello", False),
    ("GH-DSW-D-4521", "Community Justice Ghana", "GH", "Tamale", R, "Abdul-Rahman Issah", False),
    ("SL-CAC-2011-0732", "Bo District Paralegal Service", "SL", "Bo", R, "Fatmata Kamara", False),
    ("LR-MPEA-2290", "Liberia Rural Justice Network", "LR", "Gbarnga", R, "Musu Flomo", False),
    ("ZA-NPO-071-553", "Eastern Cape Advice Office Forum", "ZA", "Mthatha", R, "Nomvula Dlamini", False),
    ("ZA-NPO-159-882", "Ubuntu Land Justice Centre", "ZA", "Durban", R, "Sipho Ndlovu", False),
    ("MW-CNM-1176", "Chilungamo Paralegal Trust", "MW", "Lilongwe", R, "Chikondi Banda", False),
    ("ZM-PACRA-120150004432", "Zambia Community Legal Aid", "ZM", "Kitwe", R, "Mwape Chanda", False),
    ("SN-NINEA-005213874", "Droits et Justice pour Tous", "SN", "Thiès", R, "Awa Diop", False),
    (None, "Association des Parajuristes du Nord-Ouest", "CM", "Bamenda", U, "—", True),
    (None, "Réseau des Défenseurs Communautaires du Kivu", "CD", "Goma", U, "—", True),
    ("MZ-NUIT-400912337", "Justiça Comunitária Moçambique", "MZ", "Nampula", R, "Celeste Muianga", False),
    (None, "South Sudan Customary Justice Paralegals", "SS", "Juba", U, "Deng Garang", False),
    ("RW-RGB-NGO-0381", "Rwanda Community Mediators' Collective", "RW", "Musanze", R, "Claudine Uwase", False),
    # Latin America and the Caribbean
    ("BR-CNPJ-12345678000190", "Coletivo Terra de Direitos Comunitários", "BR", "Belém", R, "Raimunda Souza", False),
    ("BR-CNPJ-23987456000115", "Rede de Paralegais Populares da Bahia", "BR", "Salvador", R, "Luiza Santos", False),
    ("MX-RFC-DCM090312AB1", "Defensoría Comunitaria de la Montaña", "MX", "Tlapa de Comonfort", R, "Abel Morales", False),
    ("MX-RFC-CJM150720KL4", "Colectivo Justicia Migrante", "MX", "Tapachula", R, "Marisol Cruz", False),
    ("GT-NIT-8834512", "Asociación Maya de Asesoría Jurídica Comunitaria", "GT", "Quetzaltenango", R, "Juana Tzul", False),
    (None, "Defensores de la Tierra Garífuna", "HN", "La Ceiba", U, "—", True),
    ("CO-NIT-900456123", "Corporación Justicia Rural del Cauca", "CO", "Popayán", R, "Yuli Pito", False),
    ("PE-RUC-20601234567", "Asociación de Promotoras Legales Andinas", "PE", "Cusco", R, "Vilma Huamán", False),
    ("BO-NIT-1020334025", "Fundación Acceso a la Justicia Bolivia", "BO", "El Alto", R, "Ramiro Mamani", False),
    ("AR-CUIT-30-71234567-9", "Red de Abogadas Populares del Conurbano", "AR", "La Matanza", R, "Carla Giménez", False),
    (None, "Promotores Legales Amazónicos", "EC", "Puyo", U, "Nina Gualinga", False),
    ("HT-MAST-2017-0456", "Kolektif Jistis Kominotè Ayiti", "HT", "Port-au-Prince", R, "Wideline Pierre", False),
    # South-eastern Asia and the Pacific
    ("PH-SEC-CN201512345", "Paralegal Advocates for Rural Mindanao", "PH", "Davao City", R, "Joel Macalindong", False),
    ("PH-SEC-CN200923411", "Kaakbay Urban Poor Legal Center", "PH", "Quezon City", R, "Rowena Dela Cruz", False),
    ("ID-KHH-AHU-0012345", "Lembaga Bantuan Hukum Rakyat Nusa Tenggara", "ID", "Kupang", R, "Yohana Bria", False),
    (None, "Paralegal Desa Kalimantan", "ID", "Pontianak", U, "Dayang Sari", False),
    (None, "Thazin Legal Aid Collective", "MM", "Yangon", U, "—", True),
    ("KH-MOI-2203", "Cambodian Community Justice Centre", "KH", "Phnom Penh", R, "Sokha Chea", False),
    ("TH-MOI-0994000123456", "Northern Thai Land Rights Paralegals", "TH", "Chiang Mai", R, "Somchai Inta", False),
    ("TL-SERVE-6120451", "Timor-Leste Rural Legal Aid", "TL", "Dili", R, "Ana Soares", False),
    ("FJ-ROC-CT1187", "Pacific Community Legal Empowerment", "FJ", "Suva", R, "Mereoni Tuilau", False),
    ("PG-IPA-5-118842", "Bougainville Women's Paralegal Association", "PG", "Buka", R, "Helen Hakena", False),
    # Southern Asia
    ("IN-MCA-U85300BR2012NPL019876", "Nyaya Sathi Paralegal Network", "IN", "Patna", R, "Sunita Kumari", False),
    ("IN-MCA-U91990JH2015NPL002345", "Adivasi Forest Rights Legal Centre", "IN", "Ranchi", R, "Birsa Munda", False),
    ("IN-MCA-U85300MH2017NPL298765", "Mumbai Basti Legal Aid Collective", "IN", "Mumbai", R, "Farah Shaikh", False),
    ("NP-SWC-31245", "Community Mediation and Paralegal Nepal", "NP", "Nepalgunj", R, "Sita Tharu", False),
    ("BD-NAB-2876", "Ain Sahayata Kendra Sylhet", "BD", "Sylhet", R, "Rumana Begum", False),
    ("PK-SECP-0098765", "Haqooq Legal Empowerment Society", "PK", "Lahore", R, "Ayesha Malik", False),
    ("LK-NGO-FL-118923", "Estate Workers' Legal Aid Forum", "LK", "Hatton", R, "Kamala Letchumi", False),
    # Eastern Europe and Central Asia
    ("UA-EDR-41234567", "Pravo Hromady Community Legal Aid", "UA", "Kharkiv", R, "Olena Kovalenko", False),
    ("UA-EDR-43098712", "Displaced Persons Legal Clinic", "UA", "Dnipro", R, "Andrii Melnyk", False),
    ("MD-IDNO-1013620004567", "Centrul Juridic Comunitar Moldova", "MD", "Chișinău", R, "Irina Rusu", False),
    ("RO-CUI-31245678", "Roma Paralegal Network Romania", "RO", "Cluj-Napoca", R, "Ionuț Lăcătuș", False),
    ("BG-EIK-176543210", "Roma Justice Mediators Bulgaria", "BG", "Sliven", R, "Maria Kostova", False),
    ("KG-MOJ-12876-3310", "Adilet Community Law Centre", "KG", "Osh", R, "Aigul Toktosunova", False),
    ("MN-LER-9087654", "Herder Rights Legal Network", "MN", "Ulaanbaatar", R, "Bolormaa Dorj", False),
    # Western Asia and Northern Africa
    ("JO-MSD-4432", "Migrant Workers Justice Centre Jordan", "JO", "Amman", R, "Linda Haddad", False),
    ("TN-RNE-1523678A", "Association Tunisienne des Parajuristes", "TN", "Kasserine", R, "Sana Ben Amor", False),
    (None, "Lebanon Refugee Legal Aid Collective", "LB", "Tripoli", U, "Rami Khoury", False),
]


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


def demo_totp_key():
    return b32decode(DEMO_TOTP_SECRET).hex()


def _demo_authenticator(user):
    TOTPDevice.objects.get_or_create(
        user=user, name=DEMO_TOTP_DEVICE_NAME, defaults={"key": demo_totp_key(), "confirmed": True}
    )


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
    for username in DEMO_TOTP_USERS:
        _demo_authenticator(User.objects.get(username=username))
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
    _calls(covid, lef)
    _organizations()
    stdout.write(f"Demo funds, donors, users and {len(ORGANIZATIONS)} member organisations ready.")


def _aware(year, month, day, hour=0, minute=0):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def _calls(covid, lef):
    Call.objects.get_or_create(
        fund=covid,
        slug=COVID_CALL_SLUG,
        defaults=dict(
            name="Rolling window",
            is_rolling=True,
            opens_at=_aware(2020, 4, 1),
            guidance="Applications are read as they arrive; we decide within 72 hours of submission.",
        ),
    )
    Call.objects.get_or_create(
        fund=lef,
        slug=LEF_CALL_SLUG,
        defaults=dict(
            name="Open call 2026",
            opens_at=_aware(2026, 2, 1),
            closes_at=_aware(2026, 12, 15, 23, 59),
            guidance="Core funding for grassroots legal empowerment groups, for one to three years.",
        ),
    )


def _organization_id(org_id, index):
    # Unregistered groups have no registrar: the publisher prefix plus our own stable number.
    return org_id or f"{settings.FUNDOPS_ORG_PREFIX}-M{index:04d}"


def _organizations():
    for index, (org_id, name, country, city, status, contact, at_risk) in enumerate(ORGANIZATIONS, start=1):
        Organization.objects.get_or_create(
            org_id=_organization_id(org_id, index),
            defaults=dict(
                name=name,
                country=country,
                city=city,
                registration_status=status,
                registration_number=org_id.split("-", 2)[2] if org_id else "",
                contact_name="" if contact == "—" else contact,
                contact_email="" if at_risk else f"info{index}@members.demo.fundops.org",
                at_risk=at_risk,
                member_since=datetime.date(2012 + index % 12, 1 + index % 12, 1),
            ),
        )


def demo_organizations():
    """The member organisations in list order, as stored."""
    ids = [_organization_id(org_id, i) for i, (org_id, *_rest) in enumerate(ORGANIZATIONS, start=1)]
    by_id = Organization.objects.in_bulk(ids, field_name="org_id")
    return [by_id[i] for i in ids if i in by_id]
