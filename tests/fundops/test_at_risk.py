"""The at-risk flag changes only through organization_set_at_risk: every change has its audit
row, only an administrator clears it and must say why, and no import or admin form clears it quietly."""
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fundops.audit import audit_trail
from fundops.data_exchange import ImportRefused, run_import
from fundops.models import Organization
from fundops.services import organization_set_at_risk
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "org_id,name,country,city,registration_status,registration_number,at_risk,member_since,contact_email"


def members(*rows):
    return ("\n".join((HEADER,) + rows) + "\n").encode()


def flag_changes(organization):
    return [(e.transition, e.from_state, e.to_state, e.actor, e.note)
            for e in audit_trail(organization).filter(transition__in=["flag_at_risk", "clear_at_risk"])]


@pytest.fixture
def defenders():
    return factories.OrganizationFactory(org_id="GT-X-2", name="Defensoras", country="GT", city="", at_risk=True,
                                         registration_number="", contact_email="", member_since=None)


# Imports --------------------------------------------------------------------------------------


def test_reimporting_a_flagged_organisation_as_not_at_risk_is_refused_whole(defenders):
    with pytest.raises(ImportRefused) as refused:
        run_import("organizations", members(
            "KE-1,Kituo Cha Sheria,KE,,registered,,false,,",
            "GT-X-2,Defensoras,GT,,registered,,false,,",
        ))
    assert [str(p) for p in refused.value.problems] == [
        "row 3, column at_risk: “GT-X-2” is flagged at risk and an import never clears the flag. Write true here; "
        "an administrator clears the flag on the organisation's page in the admin, giving a reason."]
    defenders.refresh_from_db()
    assert defenders.at_risk is True and flag_changes(defenders) == []
    assert not Organization.objects.filter(org_id="KE-1").exists()  # all or nothing


def test_an_import_may_flag_an_organisation_and_the_audit_trail_says_so(program_officer):
    kituo = factories.OrganizationFactory(org_id="KE-1", name="Kituo", country="KE", city="", registration_number="",
                                          contact_email="", member_since=None)
    report = run_import("organizations", members("KE-1,Kituo,KE,,registered,,true,,"), by=program_officer)
    assert (report.updated, report.skipped) == (1, 0)
    kituo.refresh_from_db()
    assert kituo.at_risk is True
    assert flag_changes(kituo) == [("flag_at_risk", "not_at_risk", "at_risk", program_officer,
                                    "Flagged at risk by an import.")]
    again = run_import("organizations", members("KE-1,Kituo,KE,,registered,,true,,"), by=program_officer)
    assert again.skipped == 1 and len(flag_changes(kituo)) == 1


# The service ----------------------------------------------------------------------------------


def test_only_an_administrator_clears_the_flag_and_only_with_a_reason(defenders, program_officer, admin_user):
    with pytest.raises(PermissionDenied):
        organization_set_at_risk(organization=defenders, at_risk=False, by=program_officer, reason="Safe now")
    with pytest.raises(PermissionDenied):
        organization_set_at_risk(organization=defenders, at_risk=False, by=None, reason="Safe now")
    with pytest.raises(ValidationError):
        organization_set_at_risk(organization=defenders, at_risk=False, by=admin_user, reason="  ")
    defenders.refresh_from_db()
    assert defenders.at_risk is True

    organization_set_at_risk(organization=defenders, at_risk=False, by=admin_user, reason="Threat assessment of May")
    defenders.refresh_from_db()
    assert defenders.at_risk is False
    assert flag_changes(defenders) == [("clear_at_risk", "at_risk", "not_at_risk", admin_user, "Threat assessment of May")]


def test_program_officers_flag_finance_officers_do_not(program_officer, finance_officer):
    organization = factories.OrganizationFactory()
    with pytest.raises(PermissionDenied):
        organization_set_at_risk(organization=organization, at_risk=True, by=finance_officer)
    organization_set_at_risk(organization=organization, at_risk=True, by=program_officer)
    organization.refresh_from_db()
    assert organization.at_risk is True and len(flag_changes(organization)) == 1


# The admin ------------------------------------------------------------------------------------


def change_form_data(organization):
    return {
        "name": "Defensoras comunitarias", "org_id": organization.org_id, "country": "GT", "city": "",
        "registration_status": "registered", "registration_number": "", "contact_name": "", "contact_email": "",
        "contact_phone": "", "website": "", "member_since": "",
    }


def test_saving_the_change_form_never_clears_the_flag(admin_client, defenders):
    response = admin_client.post(f"/admin/fundops/organization/{defenders.pk}/change/", change_form_data(defenders))
    assert response.status_code == 302
    defenders.refresh_from_db()
    assert defenders.name == "Defensoras comunitarias" and defenders.at_risk is True


def test_an_administrator_clears_the_flag_on_its_page_giving_a_reason(admin_client, admin_user, defenders):
    url = f"/admin/fundops/organization/{defenders.pk}/at-risk/"
    assert url in admin_client.get(f"/admin/fundops/organization/{defenders.pk}/change/").content.decode()
    response = admin_client.post(url, {"reason": ""})
    assert response.status_code == 200 and "Say why the organisation is no longer at risk" in response.content.decode()
    defenders.refresh_from_db()
    assert defenders.at_risk is True

    assert admin_client.post(url, {"reason": "Relocated; board decision 12 May"}).status_code == 302
    defenders.refresh_from_db()
    assert defenders.at_risk is False
    assert flag_changes(defenders)[-1][3:] == (admin_user, "Relocated; board decision 12 May")


def test_flagging_from_the_list_and_at_creation_is_audited(admin_client, admin_user):
    kituo = factories.OrganizationFactory()
    admin_client.post("/admin/fundops/organization/", {"action": "flag_at_risk", "_selected_action": [kituo.pk]})
    kituo.refresh_from_db()
    assert kituo.at_risk is True and flag_changes(kituo)[0][:4] == ("flag_at_risk", "not_at_risk", "at_risk", admin_user)

    new = factories.OrganizationFactory.build(org_id="NP-9")
    admin_client.post("/admin/fundops/organization/add/", {**change_form_data(new), "at_risk": "on"})
    created = Organization.objects.get(org_id="NP-9")
    assert created.at_risk is True and len(flag_changes(created)) == 1
