"""Importing past grants and payments: each row goes through the live services (audit rows say
"imported"), so over-commitment and over-payment are refused row by row and nothing is kept."""
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from applications.models import Application, State
from disbursements.models import Grant, Payment
from fundops.audit import audit_trail
from fundops.data_exchange import ImportRefused, run_import
from tests import factories

pytestmark = pytest.mark.django_db

GRANT_HEADER = ("grant_ref,org_id,fund,title,countries,themes,requested_amount,awarded_amount,currency,fx_rate,"
                "submitted_on,decided_on,outcome")
PAYMENT_HEADER = "grant_ref,reference,amount,currency,fx_rate,paid_on,status"


def csv_bytes(*lines):
    return ("\n".join(lines) + "\n").encode("utf-8")


def messages(refused):
    return [str(problem) for problem in refused.value.problems]


@pytest.fixture
def world(program_officer):
    fund = factories.FundFactory(slug="covid", base_currency="USD", min_grant=Decimal("1000"),
                                 max_grant=Decimal("20000"), reviews_required=2)
    factories.ContributionFactory(fund=fund, amount=Decimal("30000"))
    factories.OrganizationFactory(org_id="KE-RCO-1", country="KE")
    factories.OrganizationFactory(org_id="UG-NGO-2", country="UG")
    return fund, program_officer


def test_declined_and_withdrawn_history_is_imported_once_with_its_dates(world):
    fund, officer = world
    data = csv_bytes(
        GRANT_HEADER,
        "H-1,KE-RCO-1,covid,Paralegals in Kibera,KE,Access to justice,5000,,USD,1,2020-04-20,2020-04-23,declined",
        "H-2,UG-NGO-2,covid,Eviction defence,,housing and evictions,8000,,USD,1,2020-04-21,2020-04-25,withdrawn",
    )
    report = run_import("grants", data, by=officer)
    assert (report.created, report.skipped) == (2, 0)
    declined = Application.objects.get(title="Paralegals in Kibera")
    assert declined.state == State.DECLINED
    assert declined.submitted_at.date().isoformat() == "2020-04-20"
    assert declined.decided_at.date().isoformat() == "2020-04-23"
    assert all(entry.note.startswith("imported") for entry in audit_trail(declined))
    assert Application.objects.get(title="Eviction defence").themes == ["Housing and evictions"]

    again = run_import("grants", data, by=officer)
    assert (again.created, again.skipped) == (0, 2)
    assert Application.objects.count() == 2


def test_broken_grant_rows_are_each_named_and_nothing_is_written(world):
    fund, officer = world
    data = csv_bytes(
        GRANT_HEADER,
        "H-1,NOPE,covid,T,KE,Access to justice,5000,,USD,1,2020-04-20,2020-04-23,declined",
        "H-2,KE-RCO-1,nofund,T,XX,Astrology,-5,,USD,1,2020-04-20,2020-04-23,declined",
        "H-3,KE-RCO-1,covid,T,KE,Access to justice,5000,4000,USD,1,2020-04-20,2020-04-23,declined",
        "H-3,KE-RCO-1,covid,T,KE,Access to justice,5000,6000,USD,1,2020-04-20,2020-04-23,approved",
        "H-5,KE-RCO-1,covid,T,KE,Access to justice,5000,,USD,1,2020-04-20,2020-04-13,maybe",
    )
    with pytest.raises(ImportRefused) as refused:
        run_import("grants", data, by=officer)
    assert messages(refused) == [
        "row 2, column org_id: No organisation has the org_id “NOPE”: import organizations first.",
        "row 3, column fund: No fund has the slug “nofund”.",
        "row 3, column countries: “XX” is not an ISO 3166-1 alpha-2 country code (e.g. KE, GT, NP).",
        f"row 3, column themes: “Astrology” is not one of the themes: {'; '.join(__import__('applications.models', fromlist=['THEMES']).THEMES)}.",
        "row 3, column requested_amount: “-5” must be more than zero.",
        "row 4, column awarded_amount: Leave this empty: only approved grants have an awarded amount (this one was declined).",
        "row 5, column grant_ref: “H-3” appears again (first on row 4); each must be unique in the file.",
        "row 5, column awarded_amount: The award (6000) is more than the request (5000).",
        "row 6, column decided_on: The decision (2020-04-13) is before the submission (2020-04-20).",
        "row 6, column outcome: “maybe” is not one of: approved, declined, withdrawn.",
    ]
    assert Application.objects.count() == 0


def test_a_service_refusal_rolls_back_the_whole_file(world):
    fund, officer = world
    data = csv_bytes(
        GRANT_HEADER,
        "H-1,KE-RCO-1,covid,Fine,KE,Access to justice,5000,,USD,1,2020-04-20,2020-04-23,declined",
        "H-2,KE-RCO-1,covid,Too big,KE,Access to justice,90000,,USD,1,2020-04-20,2020-04-23,declined",
    )
    with pytest.raises(ImportRefused) as refused:
        run_import("grants", data, by=officer)
    assert len(messages(refused)) == 1
    assert messages(refused)[0].startswith("row 3, column requested_amount: ")
    assert "USD 20,000.00" in messages(refused)[0]
    assert Application.objects.count() == 0  # row 2 was fine, and is not kept either


def test_grants_need_a_staff_member_to_import_them(world, tmp_path):
    path = tmp_path / "grants.csv"
    path.write_bytes(csv_bytes(GRANT_HEADER, "H-1,KE-RCO-1,covid,T,KE,Access to justice,5000,,USD,1,2020-04-20,2020-04-23,declined"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_data", "grants", str(path), stderr=err)
    assert "--user USERNAME" in err.getvalue()
    out = io.StringIO()
    call_command("import_data", "grants", str(path), "--user", "officer", "--dry-run", stdout=out)
    assert "1 would be created" in out.getvalue()
    assert Application.objects.count() == 0


def test_approved_history_becomes_grants_and_over_commitment_is_refused_row_by_row(world):
    fund, officer = world  # the fund holds USD 30,000
    fine = "H-1,KE-RCO-1,covid,First,KE,Access to justice,20000,15000,USD,1,2020-04-20,2020-04-23,approved"
    report = run_import("grants", csv_bytes(GRANT_HEADER, fine), by=officer)
    grant = Grant.objects.get(reference="H-1")
    assert grant.base_amount == Decimal("15000.00")
    assert grant.decided_at.date().isoformat() == "2020-04-23"
    assert grant.application.state == State.APPROVED
    assert report.created == 1

    data = csv_bytes(
        GRANT_HEADER,
        fine,  # already imported: skipped
        "H-2,KE-RCO-1,covid,Second,KE,Access to justice,20000,10000,USD,1,2020-05-01,2020-05-02,approved",
        "H-3,UG-NGO-2,covid,Third,UG,Access to justice,20000,8000,USD,1,2020-05-01,2020-05-03,approved",
    )
    with pytest.raises(ImportRefused) as refused:
        run_import("grants", data, by=officer)
    assert [problem.row for problem in refused.value.problems] == [4]  # 15,000 + 10,000 + 8,000 > 30,000
    assert Grant.objects.count() == 1 and Application.objects.count() == 1


def test_payments_import_once_and_overpayment_is_refused_row_by_row(world):
    fund, officer = world
    run_import("grants", csv_bytes(
        GRANT_HEADER, "H-1,KE-RCO-1,covid,First,KE,Access to justice,20000,15000,USD,1,2020-04-20,2020-04-23,approved",
    ), by=officer)
    payments = csv_bytes(PAYMENT_HEADER, "H-1,TRF-1,10000,USD,1,2020-05-01,paid", "H-1,TRF-2,5000,USD,1,2020-06-01,reconciled")
    assert run_import("payments", payments, by=officer).created == 2
    assert sorted(Payment.objects.values_list("reference", "state")) == [("TRF-1", "paid"), ("TRF-2", "reconciled")]
    grant = Grant.objects.get(reference="H-1")
    assert grant.application.state == State.DISBURSED  # paid in full, as the live services would leave it
    assert [e.transition for e in audit_trail(grant.application)][-2:] == ["start_disbursing", "complete_disbursement"]
    first = Payment.objects.get(reference="TRF-1")
    assert [(e.transition, e.note) for e in audit_trail(first)] == [("approve", "imported"), ("mark_paid", "imported")]
    assert first.base_amount == Decimal("10000.00") and first.approved_by is None  # four eyes is not faked
    assert run_import("payments", payments, by=officer).skipped == 2

    over = csv_bytes(PAYMENT_HEADER, "H-1,TRF-3,0.01,USD,1,2020-07-01,paid", "H-1,TRF-4,abc,EUR,1,2020-07-01,paid")
    with pytest.raises(ImportRefused) as refused:
        run_import("payments", over, by=officer)
    assert messages(refused)[:1] == ["row 3, column amount: “abc” is not a number: use digits with a '.' decimal point, no thousands separators."]
    over = csv_bytes(PAYMENT_HEADER, "H-1,TRF-3,0.01,USD,1,2020-07-01,paid")
    with pytest.raises(ImportRefused) as refused:
        run_import("payments", over, by=officer)
    assert [problem.row for problem in refused.value.problems] == [2]
    assert Payment.objects.count() == 2

    returned = csv_bytes(PAYMENT_HEADER, "H-1,TRF-2R,5000,USD,1,2020-06-05,returned")
    with pytest.raises(ImportRefused):  # the tranche is fully paid: not even a returned payment fits
        run_import("payments", returned, by=officer)


def test_a_returned_payment_reopens_the_grant_for_payment(world):
    fund, officer = world
    run_import("grants", csv_bytes(
        GRANT_HEADER, "H-1,KE-RCO-1,covid,First,KE,Access to justice,20000,15000,USD,1,2020-04-20,2020-04-23,approved",
    ), by=officer)
    run_import("payments", csv_bytes(
        PAYMENT_HEADER, "H-1,TRF-1,15000,USD,1,2020-05-01,returned", "H-1,TRF-2,15000,USD,1,2020-05-09,paid",
    ), by=officer)
    grant = Grant.objects.get(reference="H-1")
    assert grant.application.state == State.DISBURSED
    assert [e.transition for e in audit_trail(grant.application)][-4:] == [
        "start_disbursing", "complete_disbursement", "reopen_disbursement", "complete_disbursement"]
    assert grant.tranches.get().status == "paid"


def test_the_admin_import_of_payments_refuses_an_overpayment_row_by_row(world, client, settings,
                                                                       django_capture_on_commit_callbacks):
    fund, officer = world
    run_import("grants", csv_bytes(
        GRANT_HEADER, "H-1,KE-RCO-1,covid,First,KE,Access to justice,20000,15000,USD,1,2020-04-20,2020-04-23,approved",
    ), by=officer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fundops.models import ImportJob

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    data = csv_bytes(PAYMENT_HEADER, "H-1,TRF-1,10000,USD,1,2020-05-01,paid", "H-1,TRF-2,6000,USD,1,2020-06-01,paid")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/disbursements/payment/import/",
                               {"import_file": SimpleUploadedFile("payments.csv", data), "dry_run": "on"})
    page = client.get(response["Location"]).content.decode()
    assert "No tranche of H-1 has USD 6,000.00 left to pay" in page
    assert "Import this file now" not in page
    assert ImportJob.objects.get().state == ImportJob.State.REFUSED
    assert Payment.objects.count() == 0
