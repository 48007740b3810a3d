"""Demo part 5: what grantees report back, all through grantee_reports/services.py.

- Legal Empowerment Fund: a progress-and-financial report 150 days after the first tranche (it holds
  the second tranche until accepted) and a final report 60 days after the end, with a few questions
  of the fund's own. Its grants get their schedules; one reports early, its second tranche is
  released and paid, its final report accepted: the grant is closed.
- COVID-19 fund: the rapid-response default, one short final report per grant. Grants paid in full
  report and are closed; others are submitted, sent back for changes, overdue or still due.
- Accepted reports share what their grantees learned, in English, French, Spanish, Portuguese and
  Arabic; the at-risk grantees publish without their name (one lets its region show, one does not).
Idempotent: a demo fund with an accepted report is left as it is.
"""
import datetime
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from applications.models import State
from disbursements import services as money
from disbursements.models import Grant, PaymentState, Tranche
from fundops import roles
from fundops.demo import COVID_SLUG, DEMO_PASSWORD, LEF_SLUG
from fundops.models import Fund, User

from . import services
from .models import GrantReport, ReportKind, ReportRequirement, ReportState

Rule = ReportRequirement.DueRule

LEF_REQUIREMENTS = [
    dict(kind=ReportKind.FINANCIAL, title="Progress and financial report", due_rule=Rule.AFTER_TRANCHE,
         tranche_number=1, days=150, gates_next_tranche=True, order=1),
    dict(kind=ReportKind.FINAL, title="Final report", due_rule=Rule.END_PLUS_DAYS, days=60, order=2),
]
LEF_QUESTIONS = [
    dict(key="people_reached", kind="number", label="How many people did your paralegals help in this period?",
         required=True, min_value=Decimal("0")),
    dict(key="cases_resolved", kind="number", label="How many of their cases were resolved?", min_value=Decimal("0")),
    dict(key="story", kind="long_text", label="Tell us one story of change, in the words of the person it happened to.",
         word_limit=400),
]

NARRATIVES = {
    "final": (
        "With the grant we kept our paralegal desk open every weekday through the hardest months. Paralegals "
        "accompanied people to police stations, chiefs' courts and land offices, and followed up each case "
        "until there was an answer. Two paralegals left for paid work; we trained three new ones from the "
        "communities we serve."
    ),
    "progress": (
        "In the first six months we trained twelve community paralegals, opened two new legal help desks in "
        "market towns and took on 214 cases, most about land, inheritance and wages owed. Court fees rose, "
        "so we now help people ask for fee waivers before they file."
    ),
}

# What we learned: real sentences drawn from the network's Learning Agenda, in the five languages.
LEARNING = {
    "en": [
        (["building_power", "impact"],
         "Cases won one by one did not change the land office. What changed it was bringing forty families "
         "with the same complaint to the district meeting together, with the paralegals' case files in hand. "
         "Law and organising together got a written procedure; neither alone had."),
        (["recognition_financing"],
         "Small, flexible money arrived in days, not months, and that is what let us act while the eviction "
         "orders were still being written. Flexible core funding is what keeps a paralegal network alive "
         "between emergencies."),
        (["civic_space"],
         "When our office was watched, we moved case meetings to the clinic and the church and kept no names "
         "on paper. Safety has to be planned like any other activity, with time and money set aside for it."),
    ],
    "fr": [
        (["civic_space"],
         "Quand les réunions publiques ont été interdites, nous avons continué par petits groupes et par "
         "messages vocaux. Nous avons appris à protéger nos parajuristes d'abord : nouveaux numéros, "
         "dossiers gardés hors du bureau et un contact d'urgence dans chaque village."),
        (["building_power", "recognition_financing"],
         "Les chefs de quartier ont commencé à nous envoyer des litiges quand ils ont vu que la médiation des "
         "parajuristes évitait des mois de procédure. Cette reconnaissance locale nous a aidés à obtenir une "
         "petite subvention de la commune pour la permanence juridique."),
    ],
    "es": [
        (["recognition_financing", "building_power"],
         "El reconocimiento del municipio llegó después de documentar 300 casos resueltos por promotoras "
         "comunitarias. Con esos datos negociamos un convenio que paga dos promotoras con fondos públicos: "
         "la evidencia abrió la puerta al financiamiento."),
    ],
    "pt": [
        (["impact"],
         "Medir só o número de atendimentos escondia o mais importante. Passámos a perguntar às pessoas, seis "
         "meses depois, se o problema tinha sido resolvido e se voltariam a procurar a justiça. As respostas "
         "mudaram a forma como treinamos os paralegais."),
    ],
    "ar": [
        (["civic_space", "impact"],
         "تعلّمنا أن الثقة تُبنى ببطء: عندما يرى الناس أن المساعدين القانونيين يعودون إليهم بعد كل جلسة، "
         "يبدؤون بإحضار جيرانهم. ومع تضييق الفضاء المدني، صار التوثيق الدقيق والسرية أهم أدواتنا لحماية "
         "الناس ومواصلة العمل."),
    ],
}
# The language a grantee writes in: its country's, else one the library does not have yet (a grantee
# writes in the language it chooses; the demo shows every language the network works in).
LANGUAGE_BY_COUNTRY = {
    **dict.fromkeys("SN CM CD HT ML BF CI TG BJ NE GN".split(), "fr"),
    **dict.fromkeys("MX GT HN CO PE BO AR EC SV NI".split(), "es"),
    **dict.fromkeys("BR MZ TL AO GW".split(), "pt"),
    **dict.fromkeys("JO LB TN SS SD EG MA DZ IQ YE".split(), "ar"),
}
BUDGET = [("Paralegal stipends", Decimal("0.55")), ("Transport to courts and offices", Decimal("0.2")),
          ("Community meetings and training", Decimal("0.15")), ("Phone credit and printing", Decimal("0.1"))]


DEMO_GRANTEE = "grantee"  # a grantee who can sign in (password: fundops.demo.DEMO_PASSWORD)


def _author(grant, *, login=False):
    """The grantee's contact person who writes its reports. Made for the demo: only the one asked
    for with login=True can sign in."""
    organization = grant.organization
    if not login:
        existing = User.objects.filter(organization=organization, groups__name=roles.APPLICANT, is_active=True).first()
        if existing is not None:
            return existing
    first, _space, last = (organization.contact_name or "Report author").partition(" ")
    user, created = User.objects.get_or_create(
        username=DEMO_GRANTEE if login else f"grantee-{organization.pk}",
        defaults={"first_name": first, "last_name": last, "organization": organization,
                  "email": f"grantee-{organization.pk}@members.demo.fundops.org"},
    )
    if created:
        if login:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name=roles.APPLICANT))
    return user


def _spending(grant, share_of_paid):
    paid = money.grant_paid(grant)
    spent = (paid * share_of_paid).quantize(Decimal("1"))
    lines = [(label, (spent * part).quantize(Decimal("1"))) for label, part in BUDGET]
    lines[-1] = (lines[-1][0], spent - sum(amount for _label, amount in lines[:-1]))
    return lines


def _write(report, author, *, learning=None, consent_region=False, spent_share=Decimal("1")):
    answers = None
    if report.questionnaire_id:
        answers = {"people_reached": "640", "cases_resolved": "395",
                   "story": "“They told me the land was no longer mine. The paralegal came with me to the "
                            "chief three times, and now my name is on the register.” — a widow in the district"}
    language, themes, text = learning or (None, [], "")
    services.report_draft_save(
        report=report, by=author,
        narrative=NARRATIVES["progress" if report.kind != ReportKind.FINAL else "final"],
        answers=answers,
        budget_lines=_spending(report.grant, spent_share) if report.has_spending else None,
        learning={"text": text, "themes": themes, "language": language or "en", "consent_publish": bool(text),
                  "consent_region": consent_region} if text else None,
    )
    return services.report_submit(report=report, by=author)


def _pay_open(grant, finance, finance2):
    """Pay every open tranche not on hold (the demo's finance officers, four eyes): a payment already
    on its way is taken on from where it is."""
    for tranche in grant.tranches.filter(status=Tranche.Status.OPEN, hold_reason="").order_by("number"):
        payment = tranche.payments.filter(state__in=[PaymentState.SCHEDULED, PaymentState.APPROVED]).first()
        if payment is None:
            payment = money.payment_schedule(tranche=tranche, by=finance)
        if payment.state == PaymentState.SCHEDULED:
            approver = finance if payment.scheduled_by_id == finance2.pk else finance2
            money.payment_approve(payment=payment, by=approver)
            payment.refresh_from_db()
        # Paid at the award's own rate: the demo's later payments met no currency movement.
        rate = grant.fx_rate if grant.currency != grant.fund.base_currency else None
        money.payment_record(payment=payment, by=payment.approved_by, paid_on=timezone.localdate(), fx_rate=rate,
                             reference=f"DEMO-REP-{grant.pk:04d}-{tranche.number}-{payment.pk}")


def _lef_setup(fund, officer):
    if fund.report_requirements.exists():
        return
    for fields in LEF_REQUIREMENTS:
        requirement = services.requirement_save(fund=fund, by=officer, **fields)
        if requirement.kind == ReportKind.FINANCIAL:
            questionnaire = services.requirement_questionnaire(requirement=requirement, by=officer)
            from fundops.questionnaires.services import question_add

            for question in LEF_QUESTIONS:
                questionnaire, _question = question_add(questionnaire=questionnaire, by=officer, **question)


def load(stdout):
    officer = User.objects.get(username="officer")
    finance = User.objects.get(username="finance")
    finance2 = User.objects.get(username="finance2")
    covid = Fund.objects.get(slug=COVID_SLUG)
    lef = Fund.objects.get(slug=LEF_SLUG)
    if GrantReport.objects.filter(grant__fund__in=[covid, lef], state=ReportState.ACCEPTED).exists():
        stdout.write("Demo grantee reports: already loaded.")
        return
    _lef_setup(lef, officer)
    # LEF grants approved before the fund set its requirements get them now (the COVID-19 fund's got
    # the rapid-response default when they were approved; its imported 2020 history owes nothing).
    for grant in Grant.objects.filter(fund=lef, status=Grant.Status.ACTIVE).order_by("decided_at", "pk"):
        services.grant_schedule_create(grant=grant)

    texts = {language: list(entries) for language, entries in LEARNING.items()}
    used = set()

    def lesson(grant):
        language = LANGUAGE_BY_COUNTRY.get(grant.organization.country.code)
        if language is None or not texts[language]:
            missing = [code for code in ("pt", "ar", "fr", "es") if code not in used and texts[code]]
            language = missing[0] if missing else "en"
        if not texts[language]:
            language = "en"
        if not texts[language]:
            return None
        used.add(language)
        themes, text = texts[language].pop(0)
        return language, themes, text

    today = timezone.localdate()
    counts = {"closed": 0, "accepted": 0, "submitted": 0, "changes": 0, "overdue": 0}
    at_risk_region = True

    def accept(report, *, spent_share=Decimal("1"), learned=True):
        nonlocal at_risk_region
        entry = lesson(report.grant) if learned else None
        consent_region = False
        if report.grant.organization.at_risk:
            consent_region, at_risk_region = at_risk_region, not at_risk_region
        _write(report, _author(report.grant), learning=entry, consent_region=consent_region, spent_share=spent_share)
        services.report_accept(report=report, by=officer)
        counts["accepted"] += 1

    # Legal Empowerment Fund: the first grant reports early, is paid in full and closes.
    lef_grants = list(Grant.objects.filter(fund=lef, status=Grant.Status.ACTIVE, reports__isnull=False)
                      .select_related("organization").distinct().order_by("decided_at", "pk"))
    # At-risk grantees report and publish without their name; the others, those paid most first, show
    # a grant reporting early and closing, a report waiting for review and one overdue.
    named = sorted((g for g in lef_grants if not g.organization.at_risk), key=lambda g: (-money.grant_paid(g), g.pk))
    for grant in [g for g in lef_grants if g.organization.at_risk]:
        accept(grant.reports.get(kind=ReportKind.FINANCIAL), spent_share=Decimal("0.5"))
    for step, grant in zip(["close", "submitted", "overdue"], named):
        progress = grant.reports.get(kind=ReportKind.FINANCIAL)
        if step == "close":
            _pay_open(grant, finance, finance2)
            accept(progress, spent_share=Decimal("0.8"), learned=False)
            _pay_open(grant, finance, finance2)  # the second tranche, released by the accepted report
            accept(grant.reports.get(kind=ReportKind.FINAL))
        elif step == "submitted":
            _write(progress, _author(grant), spent_share=Decimal("0.6"))
            counts["submitted"] += 1
        else:
            services.report_due_date_change(report=progress, by=officer, due_on=today - datetime.timedelta(days=9),
                                            note="Demo: the grantee asked for more time and still has not sent it.")
            counts["overdue"] += 1

    # COVID-19 fund: grants paid in full report and close; the others show every other step.
    covid_grants = list(Grant.objects.filter(fund=covid, status=Grant.Status.ACTIVE, reports__isnull=False)
                        .select_related("application", "organization").distinct().order_by("decided_at", "pk"))
    waiting = []
    for grant in covid_grants:
        final = grant.reports.filter(kind=ReportKind.FINAL).first()
        if final is None:
            continue
        if grant.application.state == State.DISBURSED or grant.organization.at_risk:
            accept(final, spent_share=Decimal("1"))
        else:
            waiting.append((money.grant_paid(grant), grant.pk, grant, final))
    # Grants that received money report on it; the rest are still owed their payment.
    waiting.sort(key=lambda row: (-row[0], row[1]))
    for step, (_paid, _pk, grant, final) in zip(["changes", "submitted", "overdue", "overdue"], waiting):
        if step == "submitted":
            _write(final, _author(grant), spent_share=Decimal("0.7"))
            counts["submitted"] += 1
        elif step == "changes":
            _write(final, _author(grant, login=True), spent_share=Decimal("0.9"))
            services.report_request_changes(
                report=final, by=officer,
                comment="Thank you. Please add how many people the hotline helped, and attach the phone bills "
                        "behind the “Phone credit” line.")
            counts["changes"] += 1
        else:
            services.report_due_date_change(report=final, by=officer, due_on=today - datetime.timedelta(days=17),
                                            note="Demo: the report was due at the end of the rapid grant.")
            counts["overdue"] += 1

    counts["closed"] = Grant.objects.filter(fund__in=[covid, lef], application__state=State.CLOSED).count()
    stdout.write(
        f"Demo grantee reports: {counts['accepted']} accepted ({counts['closed']} grants closed), "
        f"{counts['submitted']} waiting for review, {counts['changes']} sent back, {counts['overdue']} overdue. "
        f"Learning library: /grants/learning/. Grantee sign-in: {DEMO_GRANTEE} / {DEMO_PASSWORD} "
        "(a report sent back for changes)."
    )

