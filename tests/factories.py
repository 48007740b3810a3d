"""factory_boy factories for every model; tests build their worlds from these."""
import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from applications.models import Application
from disbursements.models import Grant, Payment, Tranche
from fundops.models import Call, Contribution, Donor, Fund, Organization, User
from fundops.money import to_base

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Community Paralegal Collective {n}")
    org_id = factory.Sequence(lambda n: f"KE-RCO-{100000 + n}")
    country = "KE"
    city = "Nairobi"
    registration_status = Organization.RegistrationStatus.REGISTERED
    registration_number = factory.Sequence(lambda n: f"REG/{1000 + n}")
    contact_name = "Amina Odhiambo"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.org")
    member_since = datetime.date(2019, 5, 1)


class DonorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Donor

    name = factory.Sequence(lambda n: f"Open Justice Foundation {n}")
    slug = factory.Sequence(lambda n: f"donor-{n}")
    kind = Donor.Kind.FOUNDATION
    country = "US"


class UserFactory(factory.django.DjangoModelFactory):
    """UserFactory(roles=["applicant"]) gives an applicant with an organisation."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            group, _ = Group.objects.get_or_create(name=role)
            self.groups.add(group)
            if role == "applicant" and self.organization_id is None:
                self.organization = OrganizationFactory()
        self.save()


class FundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fund

    name = factory.Sequence(lambda n: f"Legal Empowerment Fund {n}")
    slug = factory.Sequence(lambda n: f"fund-{n}")
    kind = Fund.Kind.POOLED
    base_currency = "USD"
    min_grant = Decimal("1000")
    max_grant = Decimal("50000")
    reviews_required = 2
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))
    grant_ref_prefix = factory.Sequence(lambda n: f"GJN-LEF{n}")

    class Params:
        rapid = factory.Trait(
            kind=Fund.Kind.RAPID_RESPONSE, decision_target_hours=72, reviews_required=1, max_grant=Decimal("20000")
        )


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    fund = factory.SubFactory(FundFactory)
    name = factory.Sequence(lambda n: f"Round {n}")
    slug = factory.Sequence(lambda n: f"round-{n}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contribution

    fund = factory.SubFactory(FundFactory)
    donor = factory.SubFactory(DonorFactory)
    amount = Decimal("100000")
    currency = "USD"
    fx_rate = Decimal("1")
    fx_date = factory.LazyFunction(timezone.localdate)
    base_amount = factory.LazyAttribute(lambda c: to_base(c.amount, c.fx_rate, c.fund.base_currency))
    status = Contribution.Status.RECEIVED
    received_on = factory.LazyFunction(timezone.localdate)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete draft; pass state=... only to set up a starting point for a test."""

    class Meta:
        model = Application

    organization = factory.SubFactory(OrganizationFactory)
    fund = factory.SubFactory(FundFactory)
    title = factory.Sequence(lambda n: f"Community paralegals for land rights {n}")
    summary = "Train 20 community paralegals to help families defend customary land claims."
    themes = factory.LazyFunction(lambda: ["land rights", "legal empowerment"])
    countries = factory.LazyFunction(lambda: ["KE"])
    requested_amount = Decimal("15000")
    requested_currency = "USD"
    planned_start = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    planned_end = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=395))


class GrantFactory(factory.django.DjangoModelFactory):
    """A grant row as it stands after approval (tests of reports and imports build on it)."""

    class Meta:
        model = Grant

    application = factory.SubFactory(ApplicationFactory, state="approved")
    fund = factory.LazyAttribute(lambda g: g.application.fund)
    organization = factory.LazyAttribute(lambda g: g.application.organization)
    reference = factory.Sequence(lambda n: f"GJN-TEST-2026-{n:04d}")
    amount = Decimal("10000")
    currency = "USD"
    fx_rate = Decimal("1")
    fx_date = factory.LazyFunction(timezone.localdate)
    base_amount = factory.LazyAttribute(lambda g: to_base(g.amount, g.fx_rate, g.fund.base_currency))
    decided_at = factory.LazyFunction(timezone.now)


class TrancheFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tranche

    grant = factory.SubFactory(GrantFactory)
    number = 1
    amount = factory.LazyAttribute(lambda t: t.grant.amount)
    due_on = factory.LazyFunction(timezone.localdate)


class PaymentFactory(factory.django.DjangoModelFactory):
    """A payment row; state="paid" with paid_on/fx_rate/base_amount for a paid one."""

    class Meta:
        model = Payment

    tranche = factory.SubFactory(TrancheFactory)
    grant = factory.LazyAttribute(lambda p: p.tranche.grant)
    amount = factory.LazyAttribute(lambda p: p.tranche.amount)
    currency = factory.LazyAttribute(lambda p: p.grant.currency)


# Reviews -------------------------------------------------------------------------------


class RubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Rubric"
        django_get_or_create = ("fund", "call", "version")

    fund = factory.SubFactory(FundFactory)
    call = None
    version = 1
    mode = "scoring"


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.Criterion"

    rubric = factory.SubFactory(RubricFactory)
    title = factory.Sequence(lambda n: f"Community rootedness {n}")
    guidance = "Is the organisation led by and accountable to the community it serves?"
    max_score = 5
    weight = Decimal("1")
    order = factory.Sequence(lambda n: n)


def _rubric_for(fund):
    """The fund's rubric, with two weighted criteria created when it has none."""
    from reviews.models import Rubric

    rubric = Rubric.objects.filter(fund=fund).first() or RubricFactory(fund=fund)
    if not rubric.is_panel and not rubric.criteria.exists():
        CriterionFactory(rubric=rubric, title="Community rootedness", max_score=5, weight=Decimal("2"))
        CriterionFactory(rubric=rubric, title="Feasibility", max_score=10, weight=Decimal("1"))
    return rubric


def submit_reviews_for(application, count, *, officer=None, score="max", recommendation="fund"):
    """Through the review services: `count` new reviewers are assigned, declare no conflict and
    submit full scores (or panel votes to fund) — the application becomes ready for decision.
    The application must be in review. Returns the reviewer users."""
    from reviews import services

    officer = officer or UserFactory(roles=["program_officer"])
    rubric = _rubric_for(application.fund)
    reviewers = []
    for _ in range(count):
        reviewer = UserFactory(roles=["reviewer"])
        assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
        services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=False)
        if rubric.is_panel:
            services.panel_vote_cast(assignment=assignment, by=reviewer, vote="fund", note="Urgent and well placed.")
        else:
            scores = {
                c.pk: {"score": c.max_score if score == "max" else score, "comment": "Clear and well evidenced."}
                for c in rubric.criteria.all()
            }
            services.review_submit(
                assignment=assignment, by=reviewer, scores=scores, recommendation=recommendation,
                comment="A strong, community-led proposal.",
            )
        reviewers.append(reviewer)
    return reviewers


# Finance (disbursements): payout accounts ---------------------------------------------------------


class PayoutAccountFactory(factory.django.DjangoModelFactory):
    """A payout account already verified (by someone other than its author, as the rule wants).
    verified=False leaves it waiting for verification."""

    class Meta:
        model = "disbursements.PayoutAccount"

    class Params:
        verified = True

    organization = factory.SubFactory(OrganizationFactory)
    kind = "bank"
    holder_name = factory.LazyAttribute(lambda account: account.organization.name)
    currency = "EUR"
    country = "DE"
    iban = "DE89370400440532013000"
    bic = "COBADEFFXXX"
    # Authors without a role: a test counting finance officers (notification recipients) sees only its own.
    changed_by = factory.SubFactory(UserFactory, roles=[])
    verification = factory.LazyAttribute(lambda account: "verified" if account.verified else "pending")
    verified_by = factory.Maybe("verified", factory.SubFactory(UserFactory, roles=[]), None)
    verified_at = factory.Maybe("verified", factory.LazyFunction(timezone.now), None)
