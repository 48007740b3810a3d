"""The intake lifecycle through its services: who may do what, when, and what the audit trail says."""
import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm import TransitionNotAllowed as FSMTransitionNotAllowed

from applications import services
from applications.models import Application, Attachment, InfoRequest
from fundops.audit import TransitionNotAllowed, audit_trail
from fundops.models import AuditEntry, Organization
from tests import factories
from tests.applications.helpers import pdf, ready_draft

pytestmark = pytest.mark.django_db


def problems_of(error):
    return error.value.message_dict


def trail(application):
    return [(row.transition, row.from_state, row.to_state) for row in audit_trail(application)]


# Drafts -----------------------------------------------------------------------------


def test_applicant_creates_and_saves_an_incomplete_draft(applicant):
    fund = factories.FundFactory()
    draft = services.application_create_draft(organization=applicant.organization, fund=fund, by=applicant)
    assert draft.state == "draft" and draft.requested_currency == "USD"
    services.application_update_draft(application=draft, by=applicant, title="  Paralegals in Kibera ", summary="")
    draft.refresh_from_db()
    assert draft.title == "Paralegals in Kibera" and draft.summary == ""


def test_draft_for_another_organisation_is_refused(applicant):
    with pytest.raises(PermissionDenied):
        services.application_create_draft(
            organization=factories.OrganizationFactory(), fund=factories.FundFactory(), by=applicant
        )


def test_draft_with_end_before_start_says_so_and_saves_nothing(applicant):
    draft = factories.ApplicationFactory(organization=applicant.organization, title="Before")
    with pytest.raises(ValidationError) as error:
        services.application_update_draft(
            application=draft, by=applicant, title="After",
            planned_start=datetime.date(2026, 5, 1), planned_end=datetime.date(2026, 4, 1),
        )
    assert problems_of(error) == {"planned_end": ["The planned end must be after the planned start."]}
    draft.refresh_from_db()
    assert draft.title == "Before"


def test_submitted_application_can_no_longer_be_edited(applicant):
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    with pytest.raises(TransitionNotAllowed, match="only drafts can be edited"):
        services.application_update_draft(application=application, by=applicant, title="Changed")


# Submit -----------------------------------------------------------------------------


def test_submit_moves_to_submitted_and_writes_one_audit_row(applicant):
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    application.refresh_from_db()
    assert application.state == "submitted" and application.submitted_at is not None
    row = audit_trail(application).get()
    assert (row.actor, row.transition, row.from_state, row.to_state) == (applicant, "submit", "draft", "submitted")


def test_submit_lists_every_missing_field_at_once(applicant):
    application = factories.ApplicationFactory(
        organization=applicant.organization, title="", summary="", themes=[], countries=[],
        requested_amount=None, requested_currency="", planned_start=None, planned_end=None,
    )
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, by=applicant)
    problems = problems_of(error)
    assert set(problems) == {
        "title", "summary", "themes", "countries", "requested_amount", "requested_currency",
        "planned_start", "planned_end", "budget", "registration",
    }
    assert problems["themes"] == ["Choose at least one theme."]
    assert problems["budget"] == ["Attach your budget."]
    application.refresh_from_db()
    assert application.state == "draft" and not AuditEntry.objects.exists()


def test_end_must_be_after_start(applicant):
    application = ready_draft(applicant)
    Application.objects.filter(pk=application.pk).update(planned_end=application.planned_start)
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, by=applicant)
    assert problems_of(error) == {"planned_end": ["The planned end must be after the planned start."]}


def test_unregistered_group_needs_no_registration_document(applicant):
    Organization.objects.filter(pk=applicant.organization_id).update(registration_status="unregistered")
    applicant.organization.refresh_from_db()
    application = factories.ApplicationFactory(organization=applicant.organization)
    services.attachment_add(application=application, kind="budget", uploaded_file=pdf(), by=applicant)
    services.application_submit(application=application, by=applicant)
    assert application.state == "submitted"


def test_registered_organisation_needs_its_registration_document(applicant):
    application = factories.ApplicationFactory(organization=applicant.organization)
    services.attachment_add(application=application, kind="budget", uploaded_file=pdf(), by=applicant)
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, by=applicant)
    assert list(problems_of(error)) == ["registration"]


@pytest.mark.parametrize("amount, ok", [("999.99", False), ("1000", True), ("50000", True), ("50000.01", False)])
def test_requested_amount_within_fund_limits(applicant, amount, ok):
    application = ready_draft(applicant, requested_amount=Decimal(amount))
    if ok:
        services.application_submit(application=application, by=applicant)
        assert application.state == "submitted"
    else:
        with pytest.raises(ValidationError) as error:
            services.application_submit(application=application, by=applicant)
        assert "makes grants from USD 1,000.00 to USD 50,000.00" in problems_of(error)["requested_amount"][0]


def test_request_must_be_in_the_funds_base_currency(applicant):
    application = ready_draft(applicant, requested_currency="EUR")
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, by=applicant)
    assert problems_of(error)["requested_currency"] == [
        f"Requests to {application.fund.name} must be in its base currency, USD."
    ]


def test_closed_fund_and_closed_call_are_refused(applicant):
    today = timezone.localdate()
    fund = factories.FundFactory(opens_on=today - datetime.timedelta(days=90), closes_on=today - datetime.timedelta(days=1))
    call = factories.CallFactory(fund=fund, closes_at=timezone.now() - datetime.timedelta(hours=1))
    application = ready_draft(applicant, fund=fund, call=call)
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, by=applicant)
    problems = problems_of(error)
    assert problems["fund"] == [f"{fund.name} is not accepting applications now."]
    assert problems["call"] == [f"The call “{call.name}” is not open now."]


def test_ineligible_organisation_and_countries_are_refused(applicant):
    fund = factories.FundFactory(eligible_regions=["South America"])
    application = ready_draft(applicant, fund=fund, countries=["KE", "BR"])
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, by=applicant)
    problems = problems_of(error)
    assert problems["organization"] == [f"Organisations based in Kenya are not eligible for {fund.name}."]
    assert problems["countries"] == [f"{fund.name} does not fund work in: Kenya."]


def test_eligible_by_country_list(applicant):
    fund = factories.FundFactory(eligible_countries=["KE", "UG"])
    application = ready_draft(applicant, fund=fund, countries=["UG"])
    services.application_submit(application=application, by=applicant)
    assert application.state == "submitted"


def test_only_the_organisations_own_applicant_may_submit(applicant, program_officer):
    application = ready_draft(applicant)
    other = factories.UserFactory(roles=["applicant"])
    for user in (other, program_officer):
        with pytest.raises(PermissionDenied):
            services.application_submit(application=application, by=user)
    application.refresh_from_db()
    assert application.state == "draft"


def test_submitting_twice_is_refused(applicant):
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    with pytest.raises(TransitionNotAllowed, match="“Submitted”: it cannot be submitted now"):
        services.application_submit(application=application, by=applicant)
    assert AuditEntry.objects.count() == 1


# Screening --------------------------------------------------------------------------


@pytest.fixture
def submitted(applicant):
    application = ready_draft(applicant)
    services.application_submit(application=application, by=applicant)
    return application


def test_full_intake_path_with_an_info_request(submitted, applicant, program_officer):
    services.application_screen_in(application=submitted, by=program_officer)
    services.application_request_info(application=submitted, by=program_officer, question="Who signs the budget?")
    assert submitted.state == "info_requested"
    services.application_answer_info(application=submitted, by=applicant, answer="Our treasurer, Ms Wanjiru.")
    submitted.refresh_from_db()
    assert submitted.state == "in_review"
    request = InfoRequest.objects.get(application=submitted)
    assert (request.question, request.answer, request.answered_by) == (
        "Who signs the budget?", "Our treasurer, Ms Wanjiru.", applicant
    )
    assert trail(submitted) == [
        ("submit", "draft", "submitted"),
        ("screen_in", "submitted", "in_review"),
        ("request_info", "in_review", "info_requested"),
        ("answer_info", "info_requested", "in_review"),
    ]


def test_applicant_cannot_screen_in_or_decline(submitted, applicant):
    with pytest.raises(PermissionDenied):
        services.application_screen_in(application=submitted, by=applicant)
    with pytest.raises(PermissionDenied):
        services.application_decline(application=submitted, by=applicant, reason="No")
    submitted.refresh_from_db()
    assert submitted.state == "submitted" and AuditEntry.objects.count() == 1


def test_reviewer_cannot_screen_in(submitted, reviewer):
    with pytest.raises(PermissionDenied):
        services.application_screen_in(application=submitted, by=reviewer)


def test_request_info_only_once_in_review_and_needs_a_question(submitted, program_officer):
    with pytest.raises(TransitionNotAllowed):
        services.application_request_info(application=submitted, by=program_officer, question="?")
    services.application_screen_in(application=submitted, by=program_officer)
    with pytest.raises(ValidationError) as error:
        services.application_request_info(application=submitted, by=program_officer, question="  ")
    assert problems_of(error) == {"question": ["Write the question the applicant should answer."]}
    assert not InfoRequest.objects.exists()


def test_answer_needs_text_and_only_the_own_organisation(submitted, applicant, program_officer):
    services.application_screen_in(application=submitted, by=program_officer)
    services.application_request_info(application=submitted, by=program_officer, question="Budget?")
    with pytest.raises(ValidationError):
        services.application_answer_info(application=submitted, by=applicant, answer="")
    with pytest.raises(PermissionDenied):
        services.application_answer_info(
            application=submitted, by=factories.UserFactory(roles=["applicant"]), answer="Hi"
        )
    submitted.refresh_from_db()
    assert submitted.state == "info_requested"


def test_decline_needs_a_reason(submitted, program_officer):
    with pytest.raises(ValidationError) as error:
        services.application_decline(application=submitted, by=program_officer, reason=" ")
    assert problems_of(error) == {"reason": ["Give the reason for declining: the applicant will read it."]}
    submitted.refresh_from_db()
    assert submitted.state == "submitted"


@pytest.mark.parametrize("screened", [False, True])
def test_decline_from_submitted_or_in_review(submitted, program_officer, screened):
    if screened:
        services.application_screen_in(application=submitted, by=program_officer)
    services.application_decline(application=submitted, by=program_officer, reason="Outside the fund's focus.")
    submitted.refresh_from_db()
    assert submitted.state == "declined" and submitted.decline_reason == "Outside the fund's focus."
    assert submitted.decided_at is not None
    assert audit_trail(submitted).last().note == "Outside the fund's focus."


def test_cannot_decline_a_draft(applicant, program_officer):
    draft = ready_draft(applicant)
    with pytest.raises(TransitionNotAllowed):
        services.application_decline(application=draft, by=program_officer, reason="No")


@pytest.mark.parametrize("state_path", [[], ["submit"], ["submit", "screen_in", "request_info"]])
def test_withdraw_from_draft_submitted_or_info_requested(applicant, program_officer, state_path):
    application = ready_draft(applicant)
    if "submit" in state_path:
        services.application_submit(application=application, by=applicant)
    if "screen_in" in state_path:
        services.application_screen_in(application=application, by=program_officer)
        services.application_request_info(application=application, by=program_officer, question="?")
    services.application_withdraw(application=application, by=applicant, note="We found other funding.")
    application.refresh_from_db()
    assert application.state == "withdrawn"
    assert audit_trail(application).last().note == "We found other funding."


def test_cannot_withdraw_while_in_review(submitted, applicant, program_officer):
    services.application_screen_in(application=submitted, by=program_officer)
    with pytest.raises(TransitionNotAllowed, match="“In review”"):
        services.application_withdraw(application=submitted, by=applicant)


def test_program_officer_cannot_withdraw_for_the_applicant(submitted, program_officer):
    with pytest.raises(PermissionDenied):
        services.application_withdraw(application=submitted, by=program_officer)


# Integrity --------------------------------------------------------------------------


def test_assigning_the_state_directly_is_refused(submitted):
    with pytest.raises(AttributeError):
        submitted.state = "approved"


def test_fsm_refuses_a_transition_from_the_wrong_state(applicant):
    draft = factories.ApplicationFactory(organization=applicant.organization)
    with pytest.raises(FSMTransitionNotAllowed):
        draft.screen_in()


def test_failed_audit_write_rolls_back_the_state_change(submitted, program_officer, monkeypatch):
    def broken_create(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(AuditEntry.objects, "create", broken_create)
    with pytest.raises(RuntimeError):
        services.application_decline(application=submitted, by=program_officer, reason="Out of scope")
    submitted.refresh_from_db()
    assert submitted.state == "submitted" and submitted.decline_reason == "" and submitted.decided_at is None
    assert AuditEntry.objects.count() == 1


def test_failed_info_request_leaves_no_question_behind(submitted, program_officer, monkeypatch):
    services.application_screen_in(application=submitted, by=program_officer)

    def broken_create(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(InfoRequest.objects, "create", broken_create)
    with pytest.raises(RuntimeError):
        services.application_request_info(application=submitted, by=program_officer, question="Budget?")
    submitted.refresh_from_db()
    assert submitted.state == "in_review"
    assert [row.transition for row in audit_trail(submitted)] == ["submit", "screen_in"]


# Imported history -------------------------------------------------------------------


def test_imported_history_keeps_its_dates_and_waives_live_only_rules(program_officer):
    long_ago = timezone.make_aware(datetime.datetime(2020, 5, 4, 10, 0))
    fund = factories.FundFactory(opens_on=datetime.date(2020, 4, 1), closes_on=datetime.date(2020, 12, 31))
    application = factories.ApplicationFactory(fund=fund)  # no documents attached
    services.application_submit(application=application, by=program_officer, imported=True, at=long_ago)
    services.application_screen_in(
        application=application, by=program_officer, imported=True, at=long_ago + datetime.timedelta(hours=5)
    )
    services.application_decline(
        application=application, by=program_officer, reason="Outside scope", imported=True,
        at=long_ago + datetime.timedelta(days=2),
    )
    application.refresh_from_db()
    assert application.submitted_at == long_ago
    assert application.decided_at == long_ago + datetime.timedelta(days=2)
    rows = list(audit_trail(application))
    assert [row.at for row in rows] == [long_ago, long_ago + datetime.timedelta(hours=5), long_ago + datetime.timedelta(days=2)]
    assert all(row.note.startswith("imported") and row.actor == program_officer for row in rows)


def test_imported_submit_still_checks_completeness_and_limits(program_officer):
    application = factories.ApplicationFactory(title="", requested_amount=Decimal("999999"))
    with pytest.raises(ValidationError) as error:
        services.application_submit(application=application, by=program_officer, imported=True)
    assert set(problems_of(error)) == {"title", "requested_amount"}


def test_only_staff_import_history(applicant):
    application = ready_draft(applicant)
    with pytest.raises(PermissionDenied):
        services.application_submit(application=application, by=applicant, imported=True)


def test_imported_withdraw(program_officer):
    application = factories.ApplicationFactory()
    services.application_withdraw(application=application, by=program_officer, imported=True)
    assert application.state == "withdrawn"
    assert audit_trail(application).get().note == "imported"


def test_attachments_only_while_the_applicant_can_edit(submitted, applicant, program_officer):
    services.application_screen_in(application=submitted, by=program_officer)
    with pytest.raises(TransitionNotAllowed):
        services.attachment_add(application=submitted, kind="other", uploaded_file=pdf(), by=applicant)
    assert Attachment.objects.filter(application=submitted).count() == 2


def test_amount_with_more_decimals_than_the_currency_has_is_refused(applicant):
    draft = factories.ApplicationFactory(organization=applicant.organization)
    with pytest.raises(ValidationError) as error:
        services.application_update_draft(application=draft, by=applicant, requested_amount=Decimal("100.555"))
    assert problems_of(error) == {"requested_amount": ["USD amounts have at most 2 decimal places."]}
