"""`import_data grants` reads themes from the fund's own list (any case), naming that list when a theme is not in it."""
from decimal import Decimal

import pytest

from applications.models import Application
from fundops.data_exchange import ImportRefused, run_import
from fundsetup import services
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = ("grant_ref,org_id,fund,title,countries,themes,requested_amount,awarded_amount,currency,fx_rate,"
          "submitted_on,decided_on,outcome")


def rows(*lines):
    return ("\n".join((HEADER,) + lines) + "\n").encode("utf-8")


@pytest.fixture
def learning_fund(program_officer):
    fund = factories.FundFactory(slug="learning", min_grant=Decimal("1000"), max_grant=Decimal("20000"))
    factories.OrganizationFactory(org_id="KE-RCO-9", country="KE")
    return services.fund_update(fund=fund, by=program_officer,
                                themes="Building power and systems change\nImpact\nRecognition and financing")


def test_a_fund_with_its_own_themes_accepts_them_in_any_case(learning_fund, program_officer):
    report = run_import("grants", rows(
        "L-1,KE-RCO-9,learning,Action research,KE,impact; BUILDING POWER AND SYSTEMS CHANGE,5000,,USD,1,2024-04-20,2024-04-23,declined",
    ), by=program_officer)
    assert report.created == 1
    assert Application.objects.get().themes == ["Building power and systems change", "Impact"]


def test_a_theme_the_fund_does_not_offer_is_refused_naming_the_funds_themes(learning_fund, program_officer):
    with pytest.raises(ImportRefused) as refused:
        run_import("grants", rows(
            "L-2,KE-RCO-9,learning,Action research,KE,Access to justice,5000,,USD,1,2024-04-20,2024-04-23,declined",
        ), by=program_officer)
    assert [str(p) for p in refused.value.problems] == [
        f"row 2, column themes: “Access to justice” is not one of the themes of {learning_fund.name}: "
        "Building power and systems change; Impact; Recognition and financing.",
    ]
    assert not Application.objects.exists()
