"""Every handoff of the intake tells the person whose turn it is — and nobody else; imported history tells no one."""
import datetime

import pytest
from django.utils import timezone

from applications import services
from fundops.models import Notification
from tests import factories
from tests.applications.helpers import ready_draft

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(db):
    applicant = factories.UserFactory(roles=["applicant"], email="amina@example.org")
    colleague = factories.UserFactory(roles=["applicant"], organization=applicant.organization, email="joseph@example.org")
    return {
        "applicant": applicant,
        "colleague": colleague,
        "stranger": factories.UserFactory(roles=["applicant"]),  # another organisation
        "officers": [factories.UserFactory(roles=["program_officer"]) for _ in range(2)],
        "finance": factories.UserFactory(roles=["finance_officer"]),
        "reviewer": factories.UserFactory(roles=["reviewer"]),
    }


def told(kind):
    return {n.recipient for n in Notification.objects.filter(kind=kind)}


def submit(world, fund, capture):
    draft = ready_draft(world["applicant"], fund=fund)
    with capture(execute=True):
        return services.application_submit(application=draft, by=world["applicant"])


def test_a_rapid_response_submission_tells_the_applicants_and_every_program_officer(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    application = submit(world, factories.FundFactory(rapid=True), django_capture_on_commit_callbacks)
    assert told("application_submitted") == {world["applicant"], world["colleague"]}
    assert told("rapid_submission") == set(world["officers"])
    assert Notification.objects.count() == 4  # no reviewer, finance officer or other organisation
    received = Notification.objects.get(kind="application_submitted", recipient=world["applicant"])
    assert received.url == f"/applications/{application.pk}/"
    assert received.context["deadline"] == application.decision_deadline.isoformat()
    rapid = Notification.objects.filter(kind="rapid_submission").first()
    assert rapid.url == f"/applications/screening/{application.pk}/"
    assert rapid.context["organisation"] == application.organization.name
    assert sorted(m.to[0] for m in mailoutbox if m.to[0] in ("amina@example.org", "joseph@example.org")) == [
        "amina@example.org", "joseph@example.org",
    ]
    assert len(mailoutbox) == 4


def test_a_pooled_fund_submission_tells_only_the_applicants(world, django_capture_on_commit_callbacks):
    application = submit(world, factories.FundFactory(), django_capture_on_commit_callbacks)
    assert told("application_submitted") == {world["applicant"], world["colleague"]}
    assert told("rapid_submission") == set()
    assert Notification.objects.get(recipient=world["applicant"]).context["deadline"] == ""
    assert application.decision_deadline is None


def test_an_info_request_goes_to_the_applicants_and_the_answer_to_the_officers(world, mailoutbox, django_capture_on_commit_callbacks):
    officer = world["officers"][0]
    application = factories.ApplicationFactory(
        organization=world["applicant"].organization, state="in_review", submitted_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_request_info(application=application, by=officer, question="Who signs for the budget?")
    assert told("info_requested") == {world["applicant"], world["colleague"]}
    asked = Notification.objects.filter(kind="info_requested").first()
    assert asked.context["question"] == "Who signs for the budget?"
    assert asked.url == f"/applications/{application.pk}/answer/"
    assert {m.to[0] for m in mailoutbox} == {"amina@example.org", "joseph@example.org"}

    services.application_answer_info(application=application, by=world["applicant"], answer="Our treasurer.")
    assert told("info_answered") == set(world["officers"])
    # A second round of questions is a new event: told again.
    services.application_request_info(application=application, by=officer, question="And the auditor?")
    assert Notification.objects.filter(kind="info_requested", recipient=world["applicant"]).count() == 2


def test_a_decline_tells_the_applicants_with_the_reason(world):
    application = factories.ApplicationFactory(
        organization=world["applicant"].organization, state="submitted", submitted_at=timezone.now()
    )
    services.application_decline(application=application, by=world["officers"][0], reason="Outside the fund's scope.")
    assert told("application_decided") == {world["applicant"], world["colleague"]}
    context = Notification.objects.filter(kind="application_decided").first().context
    assert context["decision"] == "declined" and context["reason"] == "Outside the fund's scope."
    assert context["amount"] == "" and context["letter_url"] == ""


def test_imported_history_tells_no_one(world):
    officer = world["officers"][0]
    fund = factories.FundFactory(rapid=True)
    then = timezone.now() - datetime.timedelta(days=500)
    application = factories.ApplicationFactory(organization=world["applicant"].organization, fund=fund)
    services.application_submit(application=application, by=officer, imported=True, at=then)
    services.application_decline(application=application, by=officer, reason="Old call.", imported=True, at=then)
    assert not Notification.objects.exists()


def test_a_rolled_back_submission_tells_no_one(world, mailoutbox, django_capture_on_commit_callbacks):
    from django.db import transaction

    draft = ready_draft(world["applicant"], fund=factories.FundFactory(rapid=True))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            services.application_submit(application=draft, by=world["applicant"])
            raise RuntimeError("the request failed after submitting")
    assert not Notification.objects.exists() and mailoutbox == []
