"""The world the permission matrix runs in: one user per role and one real object behind every URL.

Everything "own" belongs to `applicant`'s organisation, is assigned to `reviewer` or was paid for by
`donor`; the "other" roles (another organisation's applicant, an unassigned reviewer, the donor of
another fund) meet the same objects as somebody else's. Built through the services, as the app does.
"""
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from applications import services as application_services
from applications.models import Application
from disbursements import services as disbursement_services
from disbursements.models import BankStatement, StatementLine
from fundops.models import ImportJob
from fundops.notifications import kinds, notify
from reports.models import ReportRequest
from reviews import services as review_services
from reviews.models import PanelTieBreak, PanelVote, StandingConflict
from tests import factories
from tests.applications.helpers import ready_draft


@dataclass
class World:
    users: dict  # role -> User (None for anonymous)
    values: dict = field(default_factory=dict)  # name used in URL_KWARGS -> pk or slug
    sessions: dict = field(default_factory=dict)  # role -> session key (None for anonymous)
    media_root: object = None  # where the world's documents and reports were stored


def _submitted_in_review(applicant, officer, fund, title):
    application = ready_draft(applicant, fund=fund, title=title)
    application_services.application_submit(application=application, by=applicant)
    application_services.application_screen_in(application=application, by=officer)
    return application


def build_world():
    """Call inside a transaction that is rolled back afterwards, with MEDIA_ROOT pointing somewhere disposable."""
    officer = factories.UserFactory(roles=["program_officer"], username="matrix-officer")
    finance = factories.UserFactory(roles=["finance_officer"], username="matrix-finance")
    # Schedules the payments, so that `finance` is the second pair of eyes that may approve them.
    scheduler = factories.UserFactory(roles=["finance_officer"], username="matrix-scheduler")
    applicant = factories.UserFactory(roles=["applicant"], username="matrix-applicant")
    users = {
        "anonymous": None,
        "applicant": applicant,
        "other_applicant": factories.UserFactory(roles=["applicant"], username="matrix-other-applicant"),
        "reviewer": factories.UserFactory(roles=["reviewer"], username="matrix-reviewer"),
        "unassigned_reviewer": factories.UserFactory(roles=["reviewer"], username="matrix-unassigned-reviewer"),
        "program_officer": officer,
        "finance_officer": finance,
        "donor": factories.UserFactory(roles=["donor"], donor=factories.DonorFactory(), username="matrix-donor"),
        "other_donor": factories.UserFactory(
            roles=["donor"], donor=factories.DonorFactory(), username="matrix-other-donor"
        ),
        "administrator": factories.UserFactory(username="matrix-admin", is_staff=True, is_superuser=True),
    }
    reviewer = users["reviewer"]

    fund = factories.FundFactory(reviews_required=1, slug="matrix-fund")
    factories.CriterionFactory(rubric=factories.RubricFactory(fund=fund), title="Community rootedness")
    factories.ContributionFactory(fund=fund, donor=users["donor"].donor, amount=Decimal("200000"))
    factories.CallFactory(fund=fund)
    other_fund = factories.FundFactory(slug="matrix-other-fund")
    factories.ContributionFactory(fund=other_fund, donor=users["other_donor"].donor)

    draft = ready_draft(applicant, fund=fund, title="Matrix draft")

    # In review, assigned to `reviewer`, who declared no conflict and submitted a review.
    in_review = _submitted_in_review(applicant, officer, fund, "Matrix in review")
    assigned = review_services.assignment_create(application=in_review, reviewer=reviewer, by=officer)
    review_services.conflict_declare(assignment=assigned, by=reviewer, has_conflict=False)
    review = review_services.review_submit(
        assignment=assigned, by=reviewer, recommendation="fund", comment="Strong and community-led.",
        scores={c.pk: {"score": c.max_score, "comment": "Clear."} for c in fund.rubrics.get().criteria.all()},
    )

    # Assigned to `reviewer` too, still waiting for the conflict-of-interest declaration.
    waiting = _submitted_in_review(applicant, officer, fund, "Matrix waiting for declaration")
    pending = review_services.assignment_create(application=waiting, reviewer=reviewer, by=officer)

    asked = _submitted_in_review(applicant, officer, fund, "Matrix info requested")
    application_services.application_request_info(application=asked, by=officer, question="Which districts?")

    # Approved: an award with its tranche, one payment scheduled and one approved (by another finance officer).
    awarded = _submitted_in_review(applicant, officer, fund, "Matrix awarded")
    factories.submit_reviews_for(awarded, 1, officer=officer)
    grant = disbursement_services.grant_approve(
        application=awarded, by=officer, amount=Decimal("10000"), currency="USD"
    )
    tranche = grant.tranches.order_by("number").first()
    # Where the grantee is paid, verified (payments to an unverified account cannot be approved).
    payout_account = factories.PayoutAccountFactory(organization=grant.organization)
    scheduled = disbursement_services.payment_schedule(tranche=tranche, by=scheduler, amount="1000")
    approved = disbursement_services.payment_schedule(tranche=tranche, by=scheduler, amount="1000")
    disbursement_services.payment_approve(payment=approved, by=finance)

    statement = BankStatement.objects.create(filename="matrix.csv", uploaded_by=finance)
    line = StatementLine.objects.create(
        statement=statement, line_number=1, date=timezone.localdate(), amount=Decimal("999"), currency="USD",
        reference="UNKNOWN-1", status=StatementLine.Status.UNMATCHED,
    )

    report = ReportRequest.objects.create(
        fund=fund, donor=users["donor"].donor, period_start=fund.opens_on, period_end=timezone.localdate(),
        format="csv", status=ReportRequest.Status.DONE, requested_by=users["donor"],
    )
    report.file.save("report.csv", ContentFile(b"country,amount\nKE,10000\n"))

    # Rows the admin lists need at least one object of every registered model.
    review_services.reviewer_pool_add(fund=fund, reviewer=reviewer, by=officer)
    StandingConflict.objects.create(reviewer=users["unassigned_reviewer"], organization=applicant.organization)
    PanelVote.objects.create(application=waiting, member=users["unassigned_reviewer"], vote="fund")
    PanelTieBreak.objects.create(application=waiting, vote="fund", decided_by=officer)
    _task_result()
    import_job = ImportJob.objects.create(
        kind="organizations", filename="members.csv", state=ImportJob.State.DONE, created_by=users["administrator"]
    )
    totp_device = _sign_in_records()
    notification = notify(
        recipient=applicant, kind=kinds.INFO_REQUESTED, event_key="matrix:notification", obj=asked,
        url=f"/applications/{asked.pk}/", context={"application": asked.title, "fund": fund.name, "question": "?"},
    )

    values = {
        "draft": draft.pk,
        "in_review": in_review.pk,
        "asked": asked.pk,
        "awarded": awarded.pk,
        "attachment": in_review.attachments.order_by("pk").first().pk,
        "assigned": assigned.pk,
        "pending": pending.pk,
        "review": review.pk,
        "tranche": tranche.pk,
        "scheduled_payment": scheduled.pk,
        "approved_payment": approved.pk,
        "statement_line": line.pk,
        "report": report.pk,
        "fund": fund.slug,
        "application_type": ContentType.objects.get_for_model(Application).pk,
        "applicant_user": applicant.pk,
        "organization": applicant.organization_id,
        "totp_device": totp_device.pk,
        "import_job": import_job.pk,
        "notification": notification.pk,
        "rubric": fund.rubrics.get().pk,
        "call": fund.calls.order_by("pk").first().pk,
    }
    values.update(_grantee_reports_world(grant, applicant, officer))
    values.update(_finance_world(grant, approved, payout_account, finance))
    values.update(_fundsetup_world(fund, officer))
    values.update(_accounts_world(applicant))
    return World(users=users, values=values)


def _sign_in_records():
    """Second-factor devices (of a user outside the matrix) and django-axes' sign-in records: the admin
    pages for them need a row to open."""
    owner = factories.UserFactory(username="matrix-device-owner")
    device = TOTPDevice.objects.create(user=owner, name="Authenticator app", confirmed=True)
    StaticDevice.objects.create(user=owner, name="Recovery codes", confirmed=True)
    # Under the name of someone who never signs in here: a successful sign-in clears that name's attempts.
    seen = {"user_agent": "pytest", "ip_address": "127.0.0.1", "username": owner.username, "http_accept": "*/*",
            "path_info": "/accounts/login/"}
    AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**seen)
    AccessLog.objects.create(**seen)
    return device


def _task_result():
    return DBTaskResult.objects.create(
        args_kwargs={"args": [0], "kwargs": {}}, task_path="reports.tasks.generate_donor_report",
        backend_name="default", run_after=timezone.now() + datetime.timedelta(days=365),
    )



def _grantee_reports_world(grant, applicant, officer):
    """The awarded grant owes a report (with a document and what was learned); its signed award letter is in."""
    from grantee_reports import services as report_services
    from tests.applications.helpers import pdf

    requirement = report_services.requirement_save(
        fund=grant.fund, by=officer, kind="financial", title="Matrix report", due_rule="end_plus_days", days=30,
    )
    [report] = report_services.grant_schedule_create(grant=grant)
    report_services.report_draft_save(
        report=report, by=applicant, narrative="Matrix narrative.", uploads=[pdf("receipts.pdf")],
        learning={"text": "Matrix learning.", "themes": ["impact"], "language": "en", "consent_publish": True},
    )
    document = report_services.signed_letter_upload(grant=grant, by=applicant, uploaded_file=pdf("signed.pdf"))
    return {
        "grantee_grant": grant.pk, "grant_report": report.pk, "report_attachment": report.attachments.get().pk,
        "grant_document": document.pk, "report_requirement": requirement.pk,
    }

def _fundsetup_world(fund, officer):
    """A call of the fund with its own application form of one question."""
    from fundops.questionnaires import services as questionnaire_services
    from fundsetup import services as setup_services

    call = fund.calls.order_by("pk").first()
    form = setup_services.call_form_create(call=call, by=officer)
    questionnaire_services.question_add(questionnaire=form, by=officer, kind="yes_no", label="Registered?")
    return {"setup_call": call.pk, "questionnaire": form.pk}


# The arguments each URL is called with: a name from World.values, or the literal value itself.
def _accounts_world(applicant):
    """Accounts (fundops/registration.py, organization_documents.py): a document the applicant's
    organisation keeps on file."""
    from fundops.organization_documents import organization_document_add
    from tests.applications.helpers import pdf

    document = organization_document_add(
        organization=applicant.organization, kind="registration", uploaded_file=pdf("certificate.pdf"), by=applicant
    )
    return {"organization_document": document.pk}


URL_KWARGS = {
    # Accounts (fundops/registration.py): the applicant's own (verified) organisation; a wrong token.
    "organization_verify": {"pk": "organization"},
    "organization_reject": {"pk": "organization"},
    "invitation_accept": {"token": "not-a-valid-token"},
    "organization_document": {"pk": "organization_document"},
    "applications:pdf": {"pk": "draft"},
    "fundsetup:fund": {"slug": "fund"},
    "fundsetup:fund_form_create": {"slug": "fund"},
    "fundsetup:call_create": {"slug": "fund"},
    "fundsetup:call": {"pk": "setup_call"},
    "fundsetup:call_form_create": {"pk": "setup_call"},
    "fundsetup:call_copy": {"pk": "setup_call"},
    "fundsetup:questionnaire_edit": {"pk": "questionnaire"},
    "applications:detail": {"pk": "draft"},
    "applications:edit": {"pk": "draft"},
    "applications:submit": {"pk": "draft"},
    "applications:withdraw": {"pk": "draft"},
    "applications:answer": {"pk": "asked"},
    "applications:attachment": {"pk": "attachment"},
    "applications:review_detail": {"pk": "in_review"},
    "reviews:declare": {"pk": "pending"},
    "reviews:score": {"pk": "assigned"},
    "reviews:panel_vote": {"pk": "assigned"},
    "reviews:assign": {"slug": "fund"},
    "reviews:ranking": {"slug": "fund"},
    "reviews:ranking_export": {"slug": "fund"},
    "reviews:assign_application": {"pk": "in_review"},
    "reviews:reopen": {"pk": "review"},
    "reviews:rubric_edit": {"pk": "rubric"},
    "reviews:rubric_create_for_call": {"call_id": "call"},
    "reviews:rubric_create_for_fund": {"slug": "fund"},
    "disbursements:approve": {"pk": "in_review"},
    "disbursements:grant_detail": {"pk": "awarded"},
    "disbursements:grant_cancel": {"pk": "awarded"},
    "disbursements:award_letter": {"pk": "awarded"},
    "disbursements:schedule": {"pk": "tranche"},
    "disbursements:payment_approve": {"pk": "scheduled_payment"},
    "disbursements:payment_record": {"pk": "approved_payment"},
    "disbursements:payment_change": {"pk": "approved_payment", "action": "cancel"},
    "disbursements:statement_line_resolve": {"pk": "statement_line"},
    "disbursements:balance_return": {"pk": "awarded"},
    "disbursements:tranche_hold": {"pk": "tranche"},
    "disbursements:payment_review": {"pk": "scheduled_payment"},
    "disbursements:payment_reveal_account": {"pk": "scheduled_payment"},
    "disbursements:payment_choose_account": {"pk": "scheduled_payment"},
    "disbursements:account_detail": {"pk": "payout_account"},
    "disbursements:account_verify": {"pk": "payout_account"},
    "disbursements:organization_accounts": {"pk": "organization"},
    "disbursements:batch_detail": {"pk": "batch"},
    "disbursements:batch_export": {"pk": "batch"},
    "disbursements:batch_change": {"pk": "batch", "action": "sent"},
    "disbursements:mapping_edit": {"pk": "mapping"},
    "disbursements:statement_line_link": {"pk": "statement_line"},
    "disbursements:fund_dashboard": {"slug": "fund"},
    "reports:fund": {"slug": "fund"},
    "reports:fund_reports": {"slug": "fund"},
    "reports:download": {"pk": "report"},
    "admin:app_list": {"app_label": "applications"},
    "admin:view_on_site": {"content_type_id": "application_type", "object_id": "in_review"},
    "admin:auth_user_password_change": {"id": "applicant_user"},
    "admin:otp_totp_totpdevice_config": {"pk": "totp_device"},
    "admin:otp_totp_totpdevice_qrcode": {"pk": "totp_device"},
    "admin:fundops_importjob_confirm": {"object_id": "import_job"},
    "admin:fundops_organization_at_risk": {"object_id": "organization"},
    "notifications:open": {"pk": "notification"},
    "grantee_reports:grant": {"pk": "grantee_grant"},
    "grantee_reports:signed_letter": {"pk": "grantee_grant"},
    "grantee_reports:document": {"pk": "grant_document"},
    "grantee_reports:report": {"pk": "grant_report"},
    "grantee_reports:attachment": {"pk": "report_attachment"},
    "grantee_reports:attachment_remove": {"pk": "report_attachment"},
    "grantee_reports:review": {"pk": "grant_report"},
    "grantee_reports:requirements": {"slug": "fund"},
    "grantee_reports:requirement_edit": {"pk": "report_requirement"},
    "grantee_reports:requirement_remove": {"pk": "report_requirement"},
    "grantee_reports:requirement_form": {"pk": "report_requirement"},
    # An invalid reset link: the page says it no longer works.
    "password_reset_confirm": {"uidb64": "MA", "token": "invalid-token"},
    "admin/(?P<url>.*)$": {"url": "no-such-page/"},
}


def _finance_world(grant, approved, payout_account, finance):
    """Finance (disbursements): a batch holding the approved payment, the fund's bank account, a
    bank's statement mapping, a returned balance."""
    from disbursements.models import BalanceReturn, BankCsvMapping, FundBankAccount

    debtor = FundBankAccount.objects.create(name="Matrix EUR", holder_name="Matrix Fund", currency="USD",
                                            iban="NL91ABNA0417164300", bic="ABNANL2A")
    batch = disbursement_services.payment_batch_create(payments=[approved], by=finance, debtor_account=debtor)
    mapping = BankCsvMapping.objects.create(bank_name="Matrix Bank", delimiter=";")
    BalanceReturn.objects.create(grant=grant, amount=Decimal("1"), currency="USD", fx_rate=Decimal("1"),
                                 fx_date=timezone.localdate(), base_amount=Decimal("1"), received_on=timezone.localdate(),
                                 reference="MATRIX-RETURN-1", recorded_by=finance)
    return {"payout_account": payout_account.pk, "batch": batch.pk, "mapping": mapping.pk}
