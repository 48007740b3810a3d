"""Demo part 2: applications from the member network in every intake state, made through the services.

The demo applicant (Kituo cha Haki Jamii, Nairobi) has one application in each state. Other members
have a contact user each and applications across both funds: about 30 in review (later demo parts
approve some and add reviews), a screening queue with rapid-response clocks running (one overdue),
questions waiting for answers, declines and withdrawals. Dates are set back with the services' `at`.

Idempotent: an application is looked up by organisation and title before it is made.
"""
import datetime
import random
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify

from fundops import roles
from fundops.demo import APPLICANT_ORG_ID, COVID_CALL_SLUG, COVID_SLUG, LEF_CALL_SLUG, LEF_SLUG, demo_organizations
from fundops.models import Call, Fund, Organization, User
from fundops.questionnaires.forms import shown_keys

from . import services
from .models import Application

# A tiny but real PDF: demo documents pass the same content checks as real uploads.
_DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

COVID_WORK = [
    "Emergency paralegal hotline for tenants facing COVID-19 evictions",
    "Community paralegals securing food relief for excluded households",
    "Legal aid for workers dismissed during lockdown",
    "Paralegal outreach on domestic violence during lockdown",
    "Helping informal traders contest lockdown fines and seizures",
    "Identity documents so families can claim pandemic cash transfers",
    "Monitoring police abuses under emergency health decrees",
    "Legal first aid for migrant workers stranded by border closures",
    "Keeping community justice centres open safely through the pandemic",
    "Radio legal clinics on rights during the health emergency",
]
LEF_WORK = [
    "Core support for community paralegals defending customary land",
    "Women paralegals resolving inheritance and property disputes",
    "Legal identity clinics for stateless and undocumented families",
    "Community monitoring of public health and water services",
    "Paralegal network for forest communities facing displacement",
    "Grassroots legal empowerment for urban settlement residents",
    "Pre-trial detention paralegals in district police stations",
    "Community-led accountability for local budgets and services",
    "Strengthening a national network of community paralegals",
    "Legal empowerment for survivors of gender-based violence",
]
QUESTIONS = [
    "Could you share a breakdown of the paralegal stipends in the budget?",
    "How many paralegals will you train, and how will you support them after the training?",
    "Who else funds this work at the moment, and for how long?",
    "Please tell us more about how communities choose the cases you take on.",
]
DECLINE_REASONS = [
    "Thank you for applying. This round focuses on work led from the affected communities; "
    "the proposal did not show how they shape it.",
    "The requested amount and activities go beyond what this fund can support in one grant. "
    "We encourage you to apply again with a narrower plan.",
    "The work described is mainly service delivery outside the fund's legal empowerment focus.",
]

# Intake plan for the wider network: (fund slug, state) in order, cycling through members.
NETWORK_PLAN = (
    [(COVID_SLUG, "in_review")] * 12
    + [(LEF_SLUG, "in_review")] * 16
    + [(COVID_SLUG, "submitted")] * 6
    + [(LEF_SLUG, "submitted")] * 5
    + [(COVID_SLUG, "info_requested")] * 2
    + [(LEF_SLUG, "info_requested")] * 2
    + [(COVID_SLUG, "declined")] * 3
    + [(LEF_SLUG, "declined")] * 4
    + [(COVID_SLUG, "withdrawn")] * 2
    + [(LEF_SLUG, "withdrawn")] * 2
    + [(LEF_SLUG, "draft")] * 4
)


def _contact_user(organization, index):
    """Each member organisation has one applicant user (no password: the demo signs in as `applicant`)."""
    user, created = User.objects.get_or_create(
        username=f"member-{index:02d}-{slugify(organization.name)[:20]}",
        defaults={
            "first_name": organization.contact_name.split(" ")[0] if organization.contact_name else "Member",
            "last_name": " ".join(organization.contact_name.split(" ")[1:]),
            "organization": organization,
        },
    )
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=roles.APPLICANT))
    return user


def _documents(application, by):
    services.attachment_add(
        application=application, kind="budget", uploaded_file=ContentFile(_DEMO_PDF, name="budget.pdf"), by=by
    )
    if application.organization.registration_status == Organization.RegistrationStatus.REGISTERED:
        services.attachment_add(
            application=application, kind="registration",
            uploaded_file=ContentFile(_DEMO_PDF, name="registration-certificate.pdf"), by=by,
        )


# What members write in answer to the calls' own questions (fundsetup.demo), by question key.
ANSWER_TEXTS = {
    "community_leadership": [
        "Village assemblies choose our paralegals and meet them every month to decide which cases come first. "
        "Two of our five board members are elected by the communities we serve.",
        "Women's groups in each settlement set our priorities each year; paralegals report back to them and "
        "they can ask for a paralegal to be replaced.",
        "Our paralegals live in the communities they serve. A community committee reviews our work every quarter.",
    ],
    "systems_change": [
        "Recognition of community paralegals in the national legal aid law, and county budgets that fund them.",
        "A land registry process that accepts customary evidence, so families can register what they hold.",
    ],
    "previous_grant_results": [
        "It paid for twelve paralegals for two years: 640 families kept their land and the county adopted our "
        "mediation guidelines.",
    ],
    "urgent_need": [
        "Families evicted during the lockdown have no one to turn to; the courts are closed.",
        "Workers dismissed without pay cannot reach labour offices, which are shut.",
        "Police fines under the curfew take what little cash households have left.",
    ],
    "reach_within_weeks": [
        "Our paralegals are already on the phone line; the grant pays their airtime and transport from next week.",
        "Through the market committees we already work with, within ten days.",
    ],
    "learning_question": [
        "How combining legal aid with organising changes what local officials do about water services.",
    ],
    "participants": ["Paralegals, the women's groups they serve, and two university researchers."],
    "sharing_plan": ["A short film, a learning brief in three languages, and an exchange visit with two members."],
}


def demo_answers(questionnaire, organization, rng, *, complete=True):
    """Answers a member would give to each question of `questionnaire` (drafts leave some out)."""
    questions = list(questionnaire.questions.all()) if questionnaire else []
    answers = {}
    for question in questions:
        if question.kind in ("heading", "file") or (not complete and rng.random() < 0.5):
            continue
        if question.kind in ("long_text", "short_text"):
            if question.key in ANSWER_TEXTS:
                answers[question.key] = rng.choice(ANSWER_TEXTS[question.key])
        elif question.kind == "multiple_choice":
            answers[question.key] = rng.sample(question.choices, 2)
        elif question.kind == "single_choice":
            answers[question.key] = rng.choice(question.choices)
        elif question.kind == "money":
            answers[question.key] = str(Decimal(rng.randrange(20000, 400000, 500)))
        elif question.kind == "number":
            answers[question.key] = str(rng.randint(3, 40))
        elif question.kind == "yes_no":
            answers[question.key] = "yes" if rng.random() < 0.3 else "no"
        elif question.kind == "country":
            answers[question.key] = organization.country.code
        elif question.kind == "date":
            answers[question.key] = "2015-06-01"
    # A follow-up is kept only when its condition holds, as the applicant's form would.
    shown = shown_keys(questions, answers.get)
    return {key: value for key, value in answers.items() if key in shown}


def _answer_files(application, questionnaire, applicant, rng):
    """Half the members attach the optional file some calls ask for."""
    keys = [q.key for q in questionnaire.questions.filter(kind="file")] if questionnaire else []
    if keys and rng.random() < 0.5:
        services.answer_files_add(
            application=application, by=applicant,
            files={key: ContentFile(_DEMO_PDF, name="financial-statement-2025.pdf") for key in keys},
        )


def _build(*, organization, fund, call, title, state, applicant, officer, submitted_at, rng, complete=True):
    """One application walked through the services to `state`, with its history dated from submitted_at."""
    if Application.objects.filter(organization=organization, title=title).exists():
        return None
    step = datetime.timedelta(hours=rng.randint(5, 40))
    fields = dict(title=title)
    if complete:
        what = title.split(" (")[0]
        what = what[0].lower() + what[1:]
        low, high = int(fund.min_grant), int(fund.max_grant)
        amount = Decimal(rng.randrange(low, high + 1, 500 if high <= 20000 else 5000))
        start = (submitted_at + datetime.timedelta(days=rng.randint(20, 60))).date()
        fields.update(
            summary=(
                f"{organization.name} works with communities in and around {organization.city}. "
                f"With this grant: {what}. We will keep case records, "
                "meet the community every month, and report what changed."
            ),
            themes=_themes(fund, rng),
            countries=[organization.country.code],
            requested_amount=amount,
            planned_start=start,
            planned_end=start + datetime.timedelta(days=180 if fund.slug == COVID_SLUG else 730),
        )
    form = call.application_form if call is not None and call.application_form_id else fund.application_form
    application = services.application_create_draft(
        organization=organization, fund=fund, call=call, by=applicant,
        answers=demo_answers(form, organization, rng, complete=complete), **fields
    )
    if complete:
        _answer_files(application, form, applicant, rng)
    Application.objects.filter(pk=application.pk).update(created_at=submitted_at - datetime.timedelta(days=2))
    if state == "draft":
        return application
    _documents(application, applicant)
    if state == "withdrawn" and rng.random() < 0.5:
        services.application_withdraw(application=application, by=applicant, note="We found other support for this work.", at=submitted_at)
        return application
    services.application_submit(application=application, by=applicant, at=submitted_at)
    # Decisions come after submission and before now.
    at = submitted_at + min(step, (timezone.now() - submitted_at) / 2)
    if state == "withdrawn":
        services.application_withdraw(application=application, by=applicant, note="Our plans changed.", at=at)
    elif state == "declined":
        services.application_decline(application=application, by=officer, reason=rng.choice(DECLINE_REASONS), at=at)
    elif state in ("in_review", "info_requested"):
        services.application_screen_in(application=application, by=officer, at=at)
        if state == "info_requested":
            services.application_request_info(application=application, by=officer, question=rng.choice(QUESTIONS))
    return application


def _themes(fund, rng):
    offered = fund.theme_choices()
    if fund.slug == COVID_SLUG:
        return rng.sample([t for t in offered if t != "COVID-19 response"], 2) + ["COVID-19 response"]
    return rng.sample([t for t in offered if t != "COVID-19 response"], 2)


def _learning_applications(members, officer, rng, now):
    """A few members apply to the learning call, with the Learning Agenda's themes."""
    fund = Fund.objects.filter(slug="learning-agenda-action-research").first()
    call = fund.calls.order_by("opens_at").first() if fund else None
    if call is None:
        return
    plan = [("in_review", 20), ("submitted", 6), ("draft", 1)]
    for number, (state, days) in enumerate(plan):
        organization = members[(number * 7 + 3) % len(members)]
        _build(organization=organization, fund=fund, call=call,
               title=f"Action research: organising and legal aid together ({organization.city})", state=state,
               applicant=_contact_user(organization, members.index(organization) + 1), officer=officer,
               submitted_at=now - datetime.timedelta(days=days), rng=rng)


def load(stdout):
    rng = random.Random(2026)
    now = timezone.now()
    officer = User.objects.get(username="officer")
    funds = {fund.slug: fund for fund in Fund.objects.filter(slug__in=[COVID_SLUG, LEF_SLUG])}
    calls = {
        COVID_SLUG: Call.objects.get(fund=funds[COVID_SLUG], slug=COVID_CALL_SLUG),
        LEF_SLUG: Call.objects.get(fund=funds[LEF_SLUG], slug=LEF_CALL_SLUG),
    }
    members = demo_organizations()
    home = Organization.objects.get(org_id=APPLICANT_ORG_ID)
    applicant = User.objects.get(username="applicant")
    if applicant.organization_id != home.pk:
        applicant.organization = home
        applicant.save(update_fields=["organization"])

    # The demo applicant's own applications, one per state, recent enough to be live.
    own = [
        (COVID_SLUG, "submitted", "Emergency legal help for families evicted during the cholera lockdown", now - datetime.timedelta(hours=20)),
        (LEF_SLUG, "in_review", "Women paralegals for land and inheritance justice in Kibera", now - datetime.timedelta(days=40)),
        (LEF_SLUG, "info_requested", "Legal identity clinics for stateless Shona and Pemba families", now - datetime.timedelta(days=25)),
        (COVID_SLUG, "declined", "Sanitiser and masks for court users", now - datetime.timedelta(days=60)),
        (LEF_SLUG, "withdrawn", "Paralegal training in Kajiado county", now - datetime.timedelta(days=90)),
    ]
    for slug, state, title, submitted_at in own:
        _build(organization=home, fund=funds[slug], call=calls[slug], title=title, state=state,
               applicant=applicant, officer=officer, submitted_at=submitted_at, rng=rng)
    _build(organization=home, fund=funds[LEF_SLUG], call=calls[LEF_SLUG],
           title="Community paralegals for land justice in the Rift Valley", state="draft",
           applicant=applicant, officer=officer, submitted_at=now - datetime.timedelta(days=3), rng=rng, complete=False)

    # The rest of the network. Rapid-response submissions are hours old (one past its 72-hour target);
    # pooled-fund ones spread over the open call since February.
    others = [m for m in members if m.pk != home.pk]
    covid_hours = iter([5, 18, 30, 47, 66, 80])
    for number, (slug, state) in enumerate(NETWORK_PLAN):
        organization = others[number % len(others)]
        work = COVID_WORK if slug == COVID_SLUG else LEF_WORK
        title = f"{work[number % len(work)]} ({organization.city})"
        if slug == COVID_SLUG and state == "submitted":
            submitted_at = now - datetime.timedelta(hours=next(covid_hours))
        elif slug == COVID_SLUG and state in ("in_review", "info_requested"):
            submitted_at = now - datetime.timedelta(hours=rng.randint(12, 70))
        elif slug == COVID_SLUG:
            submitted_at = now - datetime.timedelta(days=rng.randint(4, 30), hours=rng.randint(0, 23))
        else:
            submitted_at = now - datetime.timedelta(days=rng.randint(8, 280), hours=rng.randint(0, 23))
        _build(organization=organization, fund=funds[slug], call=calls[slug], title=title, state=state,
               applicant=_contact_user(organization, members.index(organization) + 1), officer=officer,
               submitted_at=submitted_at, rng=rng, complete=state != "draft" or number % 2 == 0)

    _learning_applications(others, officer, rng, now)

    counts = {state: Application.objects.filter(state=state).count() for state in
              ("draft", "submitted", "in_review", "info_requested", "declined", "withdrawn")}
    stdout.write("Demo applications: " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts.items()) + ".")
