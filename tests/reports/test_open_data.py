"""360Giving open data: the package validates against the local schema, and never names,
numbers or places an at-risk grantee."""
import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from disbursements.models import Grant, PaymentState
from fundops.disclosure import organisation_pseudonym, public_grant_reference
from fundops.models import Fund, Organization
from reports.open_data import grant_package, package_errors
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund_with_grants():
    fund = factories.FundFactory(slug="lef-open", name="Legal Empowerment Fund")
    open_org = factories.OrganizationFactory(
        name="Kituo Cha Sheria", org_id="KE-RCO-204512", country="KE", city="Nairobi", registration_number="REG/204512"
    )
    hidden_org = factories.OrganizationFactory(
        name="Defensoras del Río Secreto", org_id="GT-SAT-7788123", country="GT", city="Cobán",
        registration_number="SAT-7788123", at_risk=True,
    )
    open_grant = factories.GrantFactory(
        application__fund=fund, application__organization=open_org, application__countries=["KE", "UG"],
        application__planned_start=datetime.date(2024, 1, 1), application__planned_end=datetime.date(2024, 12, 31),
        reference="GJN-LEF-2024-0001", amount=Decimal("15000.50"), currency="USD",
    )
    hidden_grant = factories.GrantFactory(
        application__fund=fund, application__organization=hidden_org, application__countries=["GT"],
        application__title="Defensoras del Río Secreto: land defenders in Cobán",
        reference="GJN-LEF-2024-0002", amount=Decimal("8000"), currency="USD",
    )
    paid = factories.PaymentFactory(
        tranche__grant=open_grant, amount=Decimal("5000.25"), state=PaymentState.PAID,
        paid_on=datetime.date(2024, 2, 1), fx_rate=Decimal("1"), base_amount=Decimal("5000.25"), reference="TRF-1",
    )
    factories.PaymentFactory(tranche=paid.tranche, grant=open_grant, amount=Decimal("1000"), state=PaymentState.SCHEDULED)
    return fund, open_grant, hidden_grant


def by_id(package):
    return {grant["id"]: grant for grant in package["grants"]}


def test_the_package_validates_and_carries_the_360giving_fields(fund_with_grants, shared_data_dir, settings):
    fund, open_grant, hidden_grant = fund_with_grants
    package = grant_package(fund)
    assert package_errors(package, shared_data_dir) == []

    grants = by_id(package)
    record = grants[f"{settings.FUNDOPS_PUBLISHER_PREFIX}-{public_grant_reference(open_grant)}"]
    assert record["id"].startswith("360G-")
    assert record["amountAwarded"] == 15000.5
    assert record["amountDisbursed"] == 5000.25  # paid only; the scheduled payment is not disbursed yet
    assert record["currency"] == "USD"
    assert record["recipientOrganization"][0]["id"] == "KE-RCO-204512"
    assert record["recipientOrganization"][0]["name"] == "Kituo Cha Sheria"
    assert [loc["countryCode"] for loc in record["beneficiaryLocation"]] == ["KE", "UG"]
    assert record["plannedDates"] == [{"startDate": "2024-01-01", "endDate": "2024-12-31", "duration": 11}]
    assert record["grantProgramme"] == [{"code": "lef-open", "title": "Legal Empowerment Fund"}]


def test_at_risk_grantees_are_unnamed_unnumbered_and_located_only_by_region(fund_with_grants, shared_data_dir, settings):
    fund, _, hidden_grant = fund_with_grants
    package = grant_package(fund)
    text = json.dumps(package, ensure_ascii=False)
    for secret in ["Defensoras", "Río Secreto", "GT-SAT-7788123", "SAT-7788123", "Cobán", "GJN-LEF-2024-0002",
                   '"GT"', "Guatemala"]:
        assert secret not in text, f"{secret} leaked into the open data"

    record = by_id(package)[f"{settings.FUNDOPS_PUBLISHER_PREFIX}-{public_grant_reference(hidden_grant)}"]
    recipient = record["recipientOrganization"][0]
    assert recipient["name"] == "Undisclosed organisation"
    pseudonym = organisation_pseudonym(hidden_grant.organization, fund=fund, scope="360giving")
    assert recipient["id"] == f"{settings.FUNDOPS_ORG_PREFIX}-{pseudonym}"
    assert hidden_grant.organization.public_ref not in text
    # One at-risk organisation in Central America would be a group of one: it goes to the catch-all.
    assert record["beneficiaryLocation"] == [{"name": "Undisclosed countries and regions"}]
    assert recipient["location"] == [{"name": "Undisclosed countries and regions"}]
    assert record["awardDate"].endswith(("-01-01", "-04-01", "-07-01", "-10-01"))
    assert package_errors(package, shared_data_dir) == []


def test_a_broken_package_is_reported_not_passed(fund_with_grants, shared_data_dir):
    package = grant_package(fund_with_grants[0])
    del package["grants"][0]["awardDate"]
    package["grants"][1]["currency"] = "US$"
    errors = package_errors(package, shared_data_dir)
    assert any(error.startswith("grants/0") and "awardDate" in error for error in errors)
    assert any(error.startswith("grants/1/currency") for error in errors)


def test_the_command_writes_the_file(fund_with_grants, shared_data_dir, tmp_path):
    output = tmp_path / "lef.json"
    call_command("export_360giving", "lef-open", "--output", str(output), "--schema-dir", str(shared_data_dir))
    written = json.loads(output.read_text(encoding="utf-8"))
    assert len(written["grants"]) == 2
    with pytest.raises(CommandError, match="No fund has the slug “nope”"):
        call_command("export_360giving", "nope", "--output", str(output))


def test_the_demo_fund_validates_and_hides_its_at_risk_grantees(shared_data_dir, tmp_path, settings):
    settings.DEMO_DATA_ALLOWED = True  # load_demo refuses to run with DEBUG off otherwise
    call_command("load_demo", stdout=open("/dev/null", "w"))
    fund = Fund.objects.get(slug="covid19-grassroots-justice")
    assert Grant.objects.filter(fund=fund).exists(), "the demo fund should have grants to publish"
    output = tmp_path / "covid.json"
    call_command("export_360giving", fund.slug, "--output", str(output), "--schema-dir", str(shared_data_dir))
    package = json.loads(output.read_text(encoding="utf-8"))
    assert package_errors(package, shared_data_dir) == []
    assert len(package["grants"]) == Grant.objects.filter(fund=fund, status=Grant.Status.ACTIVE).count()
    text = output.read_text(encoding="utf-8")
    at_risk = Organization.objects.filter(at_risk=True, grants__fund=fund).distinct()
    assert at_risk.exists(), "the demo fund should fund at least one at-risk organisation"
    for organization in at_risk:
        for secret in [organization.name, organization.org_id, organization.registration_number]:
            if secret:
                assert secret not in text
