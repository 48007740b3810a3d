"""Every report transition: allowed, wrong state, wrong role (403) and another organisation (404),
through the services and through the pages; each writes its audit row."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fundops.audit import TransitionNotAllowed, audit_trail
from fundops.models import Notification
from grantee_reports import services
from grantee_reports.models import ReportKind, ReportState
from tests import factories
from tests.disbursements.helpers import funded

from .helpers import approved_grant, filled, grantee_of, report_of, submitted, two_tranche_fund, two_tranches

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(officer):
    fund = two_tranche_fund(officer)
    grant = approved_grant(fund, officer, plan=two_tranches())
    return grant, grantee_of(grant), report_of(grant, ReportKind.FINANCIAL)


def test_submit_then_changes_then_resubmit_then_accept_each_audited(world, officer):
    grant, grantee, report = world
    submitted(report, grantee)
    services.report_request_changes(report=report, by=officer, comment="Add the phone bills.")
    report.refresh_from_db()
    assert report.state == ReportState.CHANGES_REQUESTED and report.changes_comment == "Add the phone bills."
    services.report_submit(report=report, by=grantee)
    services.report_accept(report=report, by=officer)
    report.refresh_from_db()
    assert report.state == ReportState.ACCEPTED and report.accepted_by == officer
    steps = [(e.transition, e.from_state, e.to_state, e.actor) for e in audit_trail(report)]
    assert steps == [
        ("submit", "due", "submitted", grantee),
        ("request_changes", "submitted", "changes_requested", officer),
        ("submit", "changes_requested", "submitted", grantee),
        ("accept", "submitted", "accepted", officer),
    ]
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"report_submitted", "report_changes_requested", "report_accepted"} <= kinds


def test_wrong_state_is_refused_with_the_state_named(world, officer):
    grant, grantee, report = world
    with pytest.raises(TransitionNotAllowed, match="“Due”"):
        services.report_accept(report=report, by=officer)
    with pytest.raises(TransitionNotAllowed):
        services.report_request_changes(report=report, by=officer, comment="No.")
    submitted(report, grantee)
    with pytest.raises(TransitionNotAllowed, match="“Submitted”"):
        services.report_submit(report=report, by=grantee)
    with pytest.raises(TransitionNotAllowed):
        services.report_draft_save(report=report, by=grantee, narrative="changed after submitting")


def test_wrong_role_is_refused(world, officer, finance):
    grant, grantee, report = world
    filled(report, grantee)
    with pytest.raises(PermissionDenied):
        services.report_submit(report=report, by=officer)
    other = factories.UserFactory(roles=["applicant"])
    with pytest.raises(PermissionDenied):
        services.report_submit(report=report, by=other)
    services.report_submit(report=report, by=grantee)
    for person in (grantee, finance):
        with pytest.raises(PermissionDenied):
            services.report_accept(report=report, by=person)
        with pytest.raises(PermissionDenied):
            services.report_request_changes(report=report, by=person, comment="Please change.")


def test_asking_for_changes_needs_a_comment(world, officer):
    grant, grantee, report = world
    submitted(report, grantee)
    with pytest.raises(ValidationError) as refused:
        services.report_request_changes(report=report, by=officer, comment="   ")
    assert "comment" in refused.value.message_dict
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED


def test_submit_lists_every_problem_at_once(world):
    grant, grantee, report = world
    services.report_draft_save(report=report, by=grantee, learning={
        "text": "Organising with the law works.", "themes": [], "language": "en", "consent_publish": True})
    with pytest.raises(ValidationError) as refused:
        services.report_submit(report=report, by=grantee)
    assert set(refused.value.message_dict) == {"narrative", "budget_lines", "learning"}


def test_a_bad_budget_line_saves_nothing_and_says_which_line(world):
    grant, grantee, report = world
    with pytest.raises(ValidationError) as refused:
        services.report_draft_save(report=report, by=grantee, narrative="Kept?", budget_lines=[
            ("Stipends", "1200"), ("Transport", "12,50"), ("", "40"), ("Phones", "-3")])
    problems = refused.value.message_dict["budget_lines"]
    assert [p.split(":")[0] for p in problems] == ["Budget line 2", "Budget line 3", "Budget line 4"]
    report.refresh_from_db()
    assert report.narrative == "" and not report.budget_lines.exists()


# Through the pages ------------------------------------------------------------------------


def _page(report, name="report"):
    return reverse(f"grantee_reports:{name}", args=[report.pk])


def test_pages_answer_404_to_another_organisation_and_403_to_other_roles(client, world, officer):
    grant, grantee, report = world
    other = factories.UserFactory(roles=["applicant"])
    reviewer = factories.UserFactory(roles=["reviewer"])
    client.force_login(other)
    assert client.get(_page(report)).status_code == 404
    assert client.post(_page(report), {"submit": "1"}).status_code == 404
    assert client.get(reverse("grantee_reports:grant", args=[grant.pk])).status_code == 404
    client.force_login(reviewer)
    assert client.get(_page(report)).status_code == 403
    assert client.get(_page(report, "review")).status_code == 403
    client.force_login(grantee)
    assert client.get(_page(report, "review")).status_code == 403
    assert client.post(_page(report, "review"), {"action": "accept"}).status_code == 403
    report.refresh_from_db()
    assert report.state == ReportState.DUE


def _post_report(client, report, action, narrative="We trained twelve paralegals.", lines=(("Stipends", "900"),)):
    data = {"narrative": narrative, "learning_language": "en", action: "1",
            "lines-TOTAL_FORMS": str(len(lines)), "lines-INITIAL_FORMS": "0"}
    for index, (label, amount) in enumerate(lines):
        data[f"lines-{index}-label"], data[f"lines-{index}-amount"] = label, amount
    return client.post(_page(report), data)


def test_the_grantee_page_keeps_what_was_typed_and_shows_the_error(client, world):
    grant, grantee, report = world
    client.force_login(grantee)
    response = _post_report(client, report, "submit", lines=(("Stipends", "9x0"),))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Budget line 1" in page and 'value="9x0"' in page and "We trained twelve paralegals." in page
    report.refresh_from_db()
    assert report.state == ReportState.DUE
    response = _post_report(client, report, "submit")
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED and report.budget_lines.get().label == "Stipends"


def test_submitting_a_submitted_report_says_so(client, world):
    grant, grantee, report = world
    submitted(report, grantee)
    client.force_login(grantee)
    response = _post_report(client, report, "submit")
    assert response.status_code == 302
    assert "can no longer be changed" in client.get(response["Location"]).content.decode()


def test_the_officer_asks_for_changes_only_with_a_comment_then_accepts(client, world, officer):
    grant, grantee, report = world
    submitted(report, grantee)
    client.force_login(officer)
    response = client.post(_page(report, "review"), {"action": "changes", "changes-comment": ""})
    assert response.status_code == 400
    response = client.post(_page(report, "review"), {"action": "changes", "changes-comment": "Add phone bills."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.CHANGES_REQUESTED
    response = client.post(_page(report, "review"), {"action": "accept"}, follow=True)
    assert "cannot be accepted now" in response.content.decode()


def test_a_report_without_spending_has_no_budget_table(client, officer):
    grant = approved_grant(funded(rapid=True), officer, amount="5000")
    report = grant.reports.get()
    grantee = grantee_of(grant)
    client.force_login(grantee)
    assert "Money spent to date" in client.get(_page(report)).content.decode()  # a final report accounts too
    services.report_draft_save(report=report, by=grantee, narrative="Done.", budget_lines=[("Rent", "5000")])
    assert report.budget_lines.count() == 1
