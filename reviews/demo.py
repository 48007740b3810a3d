"""Demo part 3: rubrics, reviewer pools, assignments, declarations, reviews and panel votes,
all made through reviews/services.py.

- Legal Empowerment Fund: a rubric of five weighted criteria drawn from its priorities (community-led,
  legal empowerment, strategy, core funding, learning and safety), two reviews per application. Eight applications
  have both reviews in (ready for decision); `reviewer` and `reviewer2` each have a queue; a few
  applications are left unassigned for the officer's "Assign automatically" button.
- COVID-19 fund: decided by a panel of community leaders. Ten applications have a panel majority
  (ready); one has a recusal (the declared conflict) waiting for a replacement; one waits for
  `reviewer` and `reviewer2` to vote.

Idempotent: a fund that already has assignments is left as it is.
"""
import random
from decimal import Decimal

from django.contrib.auth.models import Group

from applications.models import Application, State
from fundops import roles
from fundops.demo import COVID_SLUG, LEF_SLUG
from fundops.models import Fund, User

from . import services
from .models import Assignment, Criterion, Rubric
from .selectors import rubric_current

# Community panel members and external reviewers (no password: the demo signs in as reviewer/reviewer2).
PANEL = [
    ("panel-amara", "Amara", "Diallo"),
    ("panel-lakshmi", "Lakshmi", "Iyer"),
    ("panel-joao", "João", "Mabunda"),
    ("panel-sofia", "Sofía", "Condori"),
]

# The Legal Empowerment Fund gives core funding to grassroots justice defenders: work led by the
# communities it serves, that helps people know, use and shape the law (shared/seeds/).
LEF_CRITERIA = [
    ("Community rootedness",
     "Is the organisation led by, and accountable to, the community it serves? Do people affected shape the work?",
     5, Decimal("3")),
    ("Legal empowerment approach",
     "Does the work help people know, use and shape the law (community paralegals, organising, advocacy) "
     "rather than only deliver services?",
     5, Decimal("3")),
    ("Strategy and track record",
     "Can this team do what it proposes in the time given? Look at past cases and wins, and the plan's realism.",
     5, Decimal("2")),
    ("Use of core funding",
     "Would flexible core funding strengthen the organisation (staff, paralegal stipends, systems)? "
     "Is the budget clear and proportionate?",
     5, Decimal("1")),
    ("Learning and safety",
     "Will they learn from cases and share it with the network, and keep clients, paralegals and data safe?",
     5, Decimal("1")),
]
COVID_INSTRUCTIONS = (
    "Vote to fund when the need is urgent, the group is trusted locally and the money can be used within weeks. "
    "Add a short note for the rest of the panel."
)
LEF_INSTRUCTIONS = (
    "Score each criterion from 0 (absent) to 5 (outstanding), comment briefly, and give an overall recommendation."
)
COMMENTS = [
    "Strong local presence; paralegals are recruited from the villages they serve.",
    "Clear theory of change, but the monitoring plan is thin.",
    "Budget is realistic; stipends match the network's guidance.",
    "Good track record with previous small grants.",
    "Would like more detail on how clients' data is protected.",
]


def _panel_user(username, first, last):
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.fundops.org"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name=roles.REVIEWER))
    return user


def _in_review(fund):
    return list(Application.objects.filter(fund=fund, state=State.IN_REVIEW).order_by("submitted_at", "pk"))


def _assign(application, reviewer, officer):
    return services.assignment_create(application=application, reviewer=reviewer, by=officer)


def _declare(assignment, has_conflict=False, reason=""):
    services.conflict_declare(assignment=assignment, by=assignment.reviewer, has_conflict=has_conflict, reason=reason)
    assignment.refresh_from_db()
    return assignment


def _score(assignment, rng, *, strong):
    criteria = services.rubric_for(application=assignment.application).criteria.all()
    low = 3 if strong else 1
    scores = {
        c.pk: {"score": rng.randint(low, c.max_score if strong else 4), "comment": rng.choice(COMMENTS)} for c in criteria
    }
    services.review_submit(
        assignment=assignment, by=assignment.reviewer, scores=scores,
        recommendation=rng.choice(["fund", "fund", "maybe"]) if strong else rng.choice(["maybe", "do_not_fund"]),
        comment="Recommended for the shortlist." if strong else "Promising group; the plan needs more work.",
    )


def _lef(fund, officer, reviewers, panel, rng, stdout):
    # Left as it is when it exists: once scored against, a rubric changes only by a new version.
    rubric = rubric_current(fund=fund) or services.rubric_create(
        fund=fund, by=officer, mode=Rubric.Mode.SCORING, instructions=LEF_INSTRUCTIONS
    )
    if not rubric.criteria.exists():
        for order, (title, guidance, max_score, weight) in enumerate(LEF_CRITERIA, start=1):
            services.criterion_add(rubric=rubric, by=officer, title=title, guidance=guidance,
                                   max_score=max_score, weight=weight, order=order)
    for user in [*reviewers, *panel]:
        services.reviewer_pool_add(fund=fund, reviewer=user, by=officer)
    if Assignment.objects.filter(application__fund=fund).exists():
        return
    reviewer, reviewer2 = reviewers
    applications = _in_review(fund)
    ready = 0
    for index, application in enumerate(applications):
        if index < 7:  # both reviews in: ready for decision
            for member in (panel[index % 4], panel[(index + 1) % 4]):
                _score(_declare(_assign(application, member, officer)), rng, strong=index % 3 != 2)
            ready += 1
        elif index == 7:  # `reviewer` has submitted here and can see the other review
            _score(_declare(_assign(application, panel[0], officer)), rng, strong=True)
            _score(_declare(_assign(application, reviewer, officer)), rng, strong=True)
            ready += 1
        elif index < 12:  # waiting in both demo reviewers' queues
            _assign(application, reviewer, officer)
            second = _assign(application, reviewer2, officer)
            if index == 8:  # reviewer2 declared and saved a draft
                _declare(second)
                first = Criterion.objects.filter(rubric=rubric).first()
                services.review_save_draft(assignment=second, by=reviewer2,
                                           scores={first.pk: {"score": 4, "comment": "Strong community roots."}})
        # the rest are left for "Assign automatically"
    stdout.write(f"Demo reviews (LEF): {ready} applications ready for decision, "
                 f"{max(0, len(applications) - 12)} waiting for automatic assignment.")


def _covid(fund, officer, reviewers, panel, rng, stdout):
    if rubric_current(fund=fund) is None:
        services.rubric_create(fund=fund, by=officer, mode=Rubric.Mode.PANEL_VOTE, instructions=COVID_INSTRUCTIONS)
    for user in [*reviewers, *panel]:
        services.reviewer_pool_add(fund=fund, reviewer=user, by=officer)
    if Assignment.objects.filter(application__fund=fund).exists():
        return
    reviewer, reviewer2 = reviewers
    applications = _in_review(fund)
    ready = 0
    for index, application in enumerate(applications):
        if index < 10:  # a panel of three; two vote to fund: a majority
            members = [panel[(index + k) % 4] for k in range(3)]
            assignments = [_declare(_assign(application, m, officer)) for m in members]
            services.panel_vote_cast(assignment=assignments[0], by=members[0], vote="fund",
                                     note="Urgent and well placed to act.")
            services.panel_vote_cast(assignment=assignments[1], by=members[1], vote="fund",
                                     note="Trusted by the community; can spend within weeks.")
            if index % 2:  # the third member disagrees; otherwise they have not voted yet
                services.panel_vote_cast(assignment=assignments[2], by=members[2], vote="do_not_fund",
                                         note="The need is real but the plan is vague.")
            ready += 1
        elif index == 10:  # the declared conflict: a recusal waiting for a replacement; `reviewer` still to vote
            _assign(application, reviewer, officer)
            voter = _declare(_assign(application, panel[0], officer))
            services.panel_vote_cast(assignment=voter, by=voter.reviewer, vote="fund", note="Fast, credible response.")
            _declare(_assign(application, panel[1], officer), has_conflict=True,
                     reason="I chaired this organisation's board until last year.")
        elif index == 11:  # both demo reviewers still to vote
            _assign(application, reviewer, officer)
            _assign(application, reviewer2, officer)
            _assign(application, panel[2], officer)
    stdout.write(f"Demo reviews (COVID-19): {ready} applications with a panel majority, one recusal to replace.")


def load(stdout):
    rng = random.Random(3)
    officer = User.objects.get(username="officer")
    reviewers = [User.objects.get(username="reviewer"), User.objects.get(username="reviewer2")]
    panel = [_panel_user(*spec) for spec in PANEL]
    funds = {fund.slug: fund for fund in Fund.objects.filter(slug__in=[LEF_SLUG, COVID_SLUG])}
    if LEF_SLUG in funds:
        _lef(funds[LEF_SLUG], officer, reviewers, panel, rng, stdout)
    if COVID_SLUG in funds:
        _covid(funds[COVID_SLUG], officer, reviewers, panel, rng, stdout)
