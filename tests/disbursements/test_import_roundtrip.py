"""A round trip: export a fund's history, import it into an empty database, and the donor
report shows exactly the same figures."""
import datetime
from decimal import Decimal

import pytest

from applications.models import Application
from disbursements.models import Grant, Payment, Tranche
from disbursements.resources import GrantResource, PaymentResource
from fundops.data_exchange import run_import
from fundops.models import AuditEntry, Contribution, Donor, Organization
from fundops.resources import ContributionResource, DonorResource, OrganizationResource
from reports.builders import build_donor_report
from reports.renderers import render_csv
from reports.selectors import Period
from tests import factories

pytestmark = pytest.mark.django_db


def lines(*rows):
    return ("\n".join(rows) + "\n").encode("utf-8")


def figures(fund):
    report = build_donor_report(fund=fund, period=Period(datetime.date(2020, 1, 1), datetime.date.today()))
    return {
        "mobilised": report.mobilised, "committed": report.committed, "disbursed": report.disbursed,
        "grants": report.grants, "organisations": report.organisations, "countries": report.countries_reached,
        "monthly": [(m["month"], m["disbursed"], m["payments"]) for m in report.monthly],
        "csv": render_csv(report),
    }


def test_exported_history_imports_into_an_empty_database_with_identical_report_figures(program_officer):
    fund = factories.FundFactory(slug="covid", base_currency="USD", min_grant=Decimal("1000"),
                                 max_grant=Decimal("20000"), opens_on=datetime.date(2020, 4, 1))
    by = program_officer
    run_import("donors", lines("donor_id,name,kind,country", "open-justice,Open Justice,foundation,US",
                               "dutch-mfa,Netherlands MFA,government,NL"))
    run_import("contributions", lines(
        "fund,donor_id,amount,currency,fx_rate,received_on,status",
        "covid,open-justice,50000,USD,1,2020-04-15,received",
        "covid,dutch-mfa,20000,EUR,1.16,2020-05-04,received",
        "covid,dutch-mfa,10000,EUR,1.1,,pledged",
    ))
    run_import("organizations", lines(
        "org_id,name,country,city,registration_status,registration_number,at_risk,member_since,contact_email",
        "KE-RCO-1,Kituo Cha Sheria,KE,Nairobi,registered,R/1,false,2019-05-01,info@kituo.org",
        "GT-X-2,Defensoras,GT,Cobán,unregistered,,true,,",
        "NP-3,Nepal Paralegals,NP,Kathmandu,fiscally_sponsored,,false,2018-01-01,",
    ))
    run_import("grants", lines(
        "grant_ref,org_id,fund,title,countries,themes,requested_amount,awarded_amount,currency,fx_rate,submitted_on,decided_on,outcome",
        "C-1,KE-RCO-1,covid,Evictions,KE;UG;TZ,Housing and evictions,15000,15000,USD,1,2020-04-20,2020-04-22,approved",
        "C-2,GT-X-2,covid,Land defenders,GT,Land and environmental justice,12000,10000.01,EUR,1.1234567891,2020-05-01,2020-05-03,approved",
        "C-3,NP-3,covid,Paralegals,,Community paralegals,8000,,USD,1,2020-05-02,2020-05-09,declined",
        "C-4,NP-3,covid,Health rights,NP,Health rights,6000,5500.55,USD,1,2020-06-01,2020-06-02,approved",
    ), by=by)
    run_import("payments", lines(
        "grant_ref,reference,amount,currency,fx_rate,paid_on,status",
        "C-1,T-1,10000,USD,1,2020-04-25,reconciled",
        "C-1,T-2,5000,USD,1,2020-06-10,paid",
        "C-2,T-3,4000,EUR,1.15,2020-05-10,paid",
        "C-2,T-4,1000,EUR,1.14,2020-05-11,returned",
        "C-4,T-5,5500.55,USD,1,2020-06-05,paid",
    ), by=by)
    before = figures(fund)
    assert before["grants"] == 3 and before["committed"] > 0 and before["disbursed"] > 0

    exported = {
        "donors": DonorResource().export().csv, "contributions": ContributionResource().export().csv,
        "organizations": OrganizationResource().export().csv, "grants": GrantResource().export().csv,
        "payments": PaymentResource().export().csv,
    }

    for model in (AuditEntry, Payment, Tranche, Grant, Application, Contribution, Organization, Donor):
        model.objects.all().delete()
    assert figures(fund)["grants"] == 0

    for kind in ("donors", "contributions", "organizations", "grants", "payments"):
        report = run_import(kind, exported[kind].encode("utf-8"), by=by)
        assert report.created == report.rows, f"{kind}: {report.summary()}"

    after = figures(fund)
    assert after == before
    assert Grant.objects.get(reference="C-2").amount == Decimal("10000.01")
