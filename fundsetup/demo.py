"""Demo part 1b (after fundops.demo, before applications.demo): each call's own application form,
and a learning call whose fund offers the Learning Agenda's themes.

- Legal Empowerment Fund, Open call 2026: community-led strategy, organisational finances (an amount
  of money), a yes/no with a follow-up shown only after "Yes", and a file.
- COVID-19 Grassroots Justice Fund, Rolling window: three short questions.
- Learning Agenda Action Research Fund, Action research 2027: its themes are the Learning Agenda's.

Built through the services, as a program officer would in the setup pages. Idempotent: a call that
already has its own form, or a fund that exists, is left as it is.
"""
import datetime
from decimal import Decimal

from django.utils import timezone

from fundops.demo import COVID_CALL_SLUG, COVID_SLUG, LEF_CALL_SLUG, LEF_SLUG
from fundops.models import Call, Donor, Fund, User
from fundops.questionnaires import services as questionnaires
from fundops.services import contribution_record
from fundops.themes import LEARNING_THEMES

from . import services

LEARNING_SLUG = "learning-agenda-action-research"
LEARNING_CALL_SLUG = "action-research-2027"

METHODS = ["Community paralegals", "Community organising", "Strategic litigation", "Policy advocacy",
           "Legal education and awareness"]

LEF_QUESTIONS = [
    dict(kind="heading", label="Community-led strategy",
         help_text="The Legal Empowerment Fund supports work that communities lead. Tell us how yours do."),
    dict(key="community_leadership", kind="long_text", required=True, word_limit=250,
         label="How do the communities you serve lead and shape this work?",
         help_text="Who decides which problems you take on, and how do community members hold you to account?"),
    dict(key="methods", kind="multiple_choice", required=True, choices=METHODS,
         label="Which legal empowerment methods will you use?"),
    dict(key="systems_change", kind="long_text", word_limit=150,
         label="Beyond individual cases, what change in rules or institutions are you working towards?"),
    dict(kind="heading", label="Organisational finances",
         help_text="Figures from your last full financial year. Small organisations are welcome."),
    dict(key="last_year_spending", kind="money", required=True, min_value="0",
         label="How much did your organisation spend in its last financial year?"),
    dict(key="paid_staff", kind="number", min_value="0", max_value="5000",
         label="How many paid staff (including part-time paralegals) does your organisation have?"),
    dict(key="previous_lef_grant", kind="yes_no", required=True,
         label="Have you received a grant from the Legal Empowerment Fund before?"),
    dict(key="previous_grant_results", kind="long_text", required=True, word_limit=150,
         label="What did that grant make possible?", show_if_key="previous_lef_grant", show_if_value="yes"),
    dict(key="financial_statement", kind="file",
         label="Your most recent financial statement or audit (optional)",
         help_text="Unaudited accounts are fine for organisations without an audit."),
]

COVID_QUESTIONS = [
    dict(key="urgent_need", kind="short_text", required=True, max_length=300,
         label="What urgent justice need has the pandemic created for the people you serve?"),
    dict(key="reach_within_weeks", kind="short_text", required=True, max_length=300,
         label="How will this money reach people within the next few weeks?"),
    dict(key="team_at_risk", kind="yes_no", required=True,
         label="Would naming your organisation in our public reports put your team at risk?",
         help_text="If yes, we never name you or your country in reports, exports or open data."),
]

LEARNING_QUESTIONS = [
    dict(key="learning_question", kind="long_text", required=True, word_limit=200,
         label="Which question of the Learning Agenda will your action research take up, and why now?"),
    dict(key="participants", kind="short_text", required=True, max_length=300,
         label="Who in the community will take part in the research?"),
    dict(key="share_publicly", kind="yes_no", required=True,
         label="May we publish what you learn in the network's learning library?"),
    dict(key="sharing_plan", kind="long_text", word_limit=120, show_if_key="share_publicly", show_if_value="yes",
         label="How will you share what you learn with other members?"),
]


def _aware(year, month, day, hour=0, minute=0):
    return timezone.make_aware(datetime.datetime(year, month, day, hour, minute))


def _give_questions(call, questions, officer):
    if call.application_form_id:
        return call.application_form
    form = services.call_form_create(call=call, by=officer)
    for fields in questions:
        form, _question = questionnaires.question_add(questionnaire=form, by=officer, **fields)
    return form


def _learning_fund(officer):
    fund = Fund.objects.filter(slug=LEARNING_SLUG).first()
    if fund is None:
        fund = Fund.objects.create(
            slug=LEARNING_SLUG, name="Learning Agenda Action Research Fund", kind=Fund.Kind.POOLED,
            description=("Small grants for members' action research on the Learning Agenda's frontiers: building "
                         "power, impact, recognition and financing, and civic space."),
            base_currency="USD", min_grant=Decimal("5000"), max_grant=Decimal("25000"), reviews_required=2,
            opens_on=datetime.date(2026, 9, 1), grant_ref_prefix="GJN-LEARN",
        )
        services.fund_update(fund=fund, by=officer, themes=[str(label) for _code, label in LEARNING_THEMES])
        contribution_record(
            fund=fund, donor=Donor.objects.get(slug="open-society-justice"), amount=Decimal("250000"),
            currency="USD", fx_rate=Decimal("1"), fx_date=datetime.date(2026, 9, 15), status="received",
            received_on=datetime.date(2026, 9, 15), reference="OJF-LEARN-2026",
        )
    call = fund.calls.filter(slug=LEARNING_CALL_SLUG).first()
    if call is None:
        call = services.call_create(
            fund=fund, by=officer, name="Action research 2027", opens_at=_aware(2026, 10, 1),
            closes_at=_aware(2027, 3, 31, 23, 59),
            guidance="Up to USD 25,000 for a year of action research led by members and the communities they serve.",
        )
    return fund, call


def load(stdout):
    officer = User.objects.get(username="officer")
    lef_call = Call.objects.get(fund__slug=LEF_SLUG, slug=LEF_CALL_SLUG)
    covid_call = Call.objects.get(fund__slug=COVID_SLUG, slug=COVID_CALL_SLUG)
    _give_questions(lef_call, LEF_QUESTIONS, officer)
    _give_questions(covid_call, COVID_QUESTIONS, officer)
    _fund, learning_call = _learning_fund(officer)
    _give_questions(learning_call, LEARNING_QUESTIONS, officer)
    stdout.write("Demo calls' own questions ready (LEF open call, COVID-19 rolling window, learning call).")
