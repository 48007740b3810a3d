"""Assignment by hand and automatically, conflicts of interest, recusal and replacement,
and cancellation when an application leaves review."""
from collections import Counter

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from applications import services as application_services
from fundops.audit import audit_trail
from reviews import services
from reviews.models import Assignment, ConflictDeclaration, StandingConflict
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_program_officer_assigns_a_reviewer_and_the_assignment_is_audited(officer, in_review, make_reviewer):
    application = in_review()
    reviewer = make_reviewer()
    assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
    assert assignment.status == "pending"
    assert assignment.due_at > assignment.assigned_at
    entry = audit_trail(assignment).get()
    assert (entry.actor, entry.transition, entry.to_state) == (officer, "assign", "pending")


def test_only_a_program_officer_assigns(in_review, make_reviewer):
    application = in_review()
    with pytest.raises(PermissionDenied):
        services.assignment_create(application=application, reviewer=make_reviewer(), by=make_reviewer())


def test_a_member_of_the_applicant_organisation_is_never_assigned(officer, in_review, make_reviewer):
    application = in_review()
    colleague = make_reviewer(organization=application.organization)
    with pytest.raises(ValidationError) as error:
        services.assignment_create(application=application, reviewer=colleague, by=officer)
    assert "member of the applicant organisation" in str(error.value.message_dict["reviewer"])


def test_someone_without_the_reviewer_role_is_not_assigned(officer, in_review):
    application = in_review()
    with pytest.raises(ValidationError) as error:
        services.assignment_create(application=application, reviewer=factories.UserFactory(roles=["finance_officer"]), by=officer)
    assert "is not a reviewer" in str(error.value.message_dict["reviewer"])


def test_an_application_not_in_review_gets_no_reviewer(officer, fund, make_reviewer):
    draft = factories.ApplicationFactory(fund=fund)
    with pytest.raises(ValidationError):
        services.assignment_create(application=draft, reviewer=make_reviewer(), by=officer)


def test_a_declared_conflict_recuses_tells_the_officers_and_blocks_future_assignments(
    officer, in_review, make_reviewer, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    application = in_review()
    reviewer = make_reviewer()
    assignment = services.assignment_create(application=application, reviewer=reviewer, by=officer)
    with django_capture_on_commit_callbacks(execute=True):
        services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=True, reason="I sit on their board.")
    assignment.refresh_from_db()
    assert assignment.status == "recused"
    assert assignment.needs_replacement
    declaration = ConflictDeclaration.objects.get(assignment=assignment)
    assert declaration.has_conflict and declaration.reason == "I sit on their board."
    assert StandingConflict.objects.filter(reviewer=reviewer, organization=application.organization).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["officer@example.org"]
    assert "stepped back" in mail.outbox[0].subject
    assert "choose another reviewer" in mail.outbox[0].body
    assert f"/reviews/applications/{application.pk}/" in mail.outbox[0].body

    # Another application from the same organisation: the reviewer is never picked again.
    second = in_review(organization=application.organization)
    with pytest.raises(ValidationError) as error:
        services.assignment_create(application=second, reviewer=reviewer, by=officer)
    assert "conflict of interest" in str(error.value)


def test_a_conflict_needs_a_reason(officer, in_review, make_reviewer):
    reviewer = make_reviewer()
    assignment = services.assignment_create(application=in_review(), reviewer=reviewer, by=officer)
    with pytest.raises(ValidationError) as error:
        services.conflict_declare(assignment=assignment, by=reviewer, has_conflict=True, reason="  ")
    assert "reason" in error.value.message_dict
    assignment.refresh_from_db()
    assert assignment.status == "pending"
    assert not ConflictDeclaration.objects.exists()


def test_only_the_assigned_reviewer_declares(officer, in_review, make_reviewer):
    assignment = services.assignment_create(application=in_review(), reviewer=make_reviewer(), by=officer)
    with pytest.raises(PermissionDenied):
        services.conflict_declare(assignment=assignment, by=make_reviewer(), has_conflict=False)


def test_a_recused_reviewer_is_replaced_and_the_recusal_kept(officer, in_review, make_reviewer):
    application = in_review()
    first, second = make_reviewer(), make_reviewer()
    assignment = services.assignment_create(application=application, reviewer=first, by=officer)
    services.conflict_declare(assignment=assignment, by=first, has_conflict=True, reason="Former employee.")
    replacement = services.assignment_replace(assignment=assignment, reviewer=second, by=officer)
    assignment.refresh_from_db()
    assert assignment.status == "recused" and assignment.replaced_by == replacement
    assert replacement.reviewer == second and replacement.status == "pending"
    with pytest.raises(ValidationError):
        services.assignment_replace(assignment=assignment, reviewer=make_reviewer(), by=officer)


def test_automatic_assignment_spreads_200_applications_evenly_over_15_reviewers(officer, fund, in_review, make_reviewer):
    organizations = [factories.OrganizationFactory() for _ in range(20)]
    # Five reviewers belong to applicant organisations; one has a standing conflict with another.
    reviewers = [make_reviewer(organization=organizations[i] if i < 5 else None) for i in range(15)]
    StandingConflict.objects.create(reviewer=reviewers[7], organization=organizations[10], reason="Relative")
    applications = [in_review(organization=organizations[i % 20]) for i in range(200)]

    created = services.assignments_auto(fund=fund, by=officer)

    assert len(created) == 400
    per_application = Counter(a.application_id for a in Assignment.objects.all())
    assert set(per_application.values()) == {2}
    assert len(per_application) == 200
    load = Counter(Assignment.objects.values_list("reviewer_id", flat=True))
    assert len(load) == 15
    assert max(load.values()) - min(load.values()) <= 1
    for assignment in Assignment.objects.select_related("reviewer", "application"):
        assert assignment.reviewer.organization_id != assignment.application.organization_id
        assert not (assignment.reviewer == reviewers[7] and assignment.application.organization == organizations[10])
    assert {a.pk for a in applications} == set(per_application)
    # Every new assignment has its audit row.
    assert all(audit_trail(a).filter(transition="assign").exists() for a in created[:5])

    # Running it again assigns nothing more.
    assert services.assignments_auto(fund=fund, by=officer) == []


def test_automatic_assignment_tops_up_after_a_recusal_and_respects_the_pool(officer, fund, in_review, make_reviewer):
    pool = [make_reviewer() for _ in range(3)]
    outsider = make_reviewer()
    for reviewer in pool:
        services.reviewer_pool_add(fund=fund, reviewer=reviewer, by=officer)
    application = in_review()
    services.assignments_auto(fund=fund, by=officer)
    assigned = list(Assignment.objects.filter(application=application))
    assert len(assigned) == 2 and outsider not in [a.reviewer for a in assigned]
    services.conflict_declare(assignment=assigned[0], by=assigned[0].reviewer, has_conflict=True, reason="Co-author.")
    topped = services.assignments_auto(fund=fund, by=officer)
    assert len(topped) == 1
    assert topped[0].reviewer not in [a.reviewer for a in assigned]


def test_declining_an_application_cancels_its_open_assignments_but_keeps_submitted_reviews(officer, in_review, make_reviewer, declared):
    application = in_review()
    waiting = services.assignment_create(application=application, reviewer=make_reviewer(), by=officer)
    factories.submit_reviews_for(application, 1, officer=officer)
    application_services.application_decline(application=application, by=officer, reason="Outside the fund's scope.")
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"
    assert Assignment.objects.filter(application=application, status="submitted").count() == 1
    assert audit_trail(waiting).filter(transition="cancel", actor=officer).exists()


def test_withdrawing_during_an_information_request_cancels_open_assignments(officer, in_review, make_reviewer):
    application = in_review()
    applicant = factories.UserFactory(roles=["applicant"], organization=application.organization)
    assignment = services.assignment_create(application=application, reviewer=make_reviewer(), by=officer)
    application_services.application_request_info(application=application, by=officer, question="Your budget?")
    application.refresh_from_db()
    application_services.application_withdraw(application=application, by=applicant, note="We found other funding.")
    assignment.refresh_from_db()
    assert assignment.status == "cancelled"
