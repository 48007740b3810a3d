"""An attacker's view of what we publish: given the donor report (PDF, XLSX, CSV) and the
360Giving file of both demo funds, try to work out which grant is hidden, who holds it, or link
it to another — and fail (DESIGN.md, "Reports donors receive" → Safety; docs/disclosure.md).

The demo is loaded once for the module, inside a transaction that is rolled back at the end.
"""
import csv
import datetime
import io
import json
import re
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from disbursements.models import PAID_STATES, Grant, Payment
from fundops import disclosure
from fundops.demo import COVID_SLUG, LEF_SLUG
from fundops.models import Fund
from reports.builders import build_donor_report, default_period
from reports.open_data import grant_package
from reports.renderers import render

FUNDS = [COVID_SLUG, LEF_SLUG]
INTERNAL_REFERENCE = re.compile(r"GJN-[A-Z0-9]+-\d{4}-\d{3}")
QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
CATCH_ALL = "Undisclosed countries and regions"

pytestmark = pytest.mark.django_db  # the test database; the demo itself is loaded once, below


def _pdf_text(pdftotext, content, folder, name):
    path = folder / f"{name}.pdf"
    path.write_bytes(content)
    return subprocess.run([pdftotext, "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def _outputs(fund, pdftotext, folder, name):
    report = build_donor_report(fund=fund, period=default_period(fund))
    text = _pdf_text(pdftotext, render(report, "pdf"), folder, name)
    # The cover says when it was generated: the only line that may differ between two runs.
    text = "\n".join(line for line in text.splitlines() if "Generated" not in line)
    return {
        "pdf": text,
        "xlsx": openpyxl.load_workbook(io.BytesIO(render(report, "xlsx"))),
        "csv": render(report, "csv").decode("utf-8"),
        "360": grant_package(fund, issued=datetime.date(2026, 1, 1)),
    }


def _facts(fund):
    """What the attacker wants to find out, read straight from the database."""
    hidden = []
    for grant in Grant.objects.filter(fund=fund, organization__at_risk=True).select_related("organization", "application"):
        org = grant.organization
        payments = list(Payment.objects.filter(tranche__grant=grant, state__in=PAID_STATES))
        hidden.append({
            "reference": grant.reference, "stored_public_reference": grant.public_reference,
            "organisation": org.name, "org_id": org.org_id, "org_public_ref": org.public_ref, "org_pk": org.pk,
            "decided_on": timezone.localtime(grant.decided_at).date(), "payments": payments,
            "countries": grant.application.country_codes, "base_amount": grant.base_amount,
        })
    named_payments = list(Payment.objects.filter(tranche__grant__fund=fund, state__in=PAID_STATES,
                                                 tranche__grant__organization__at_risk=False))
    return {"hidden": hidden, "named_payments": named_payments, "currency": fund.base_currency,
            "references": list(Grant.objects.filter(fund=fund).values_list("reference", flat=True))}


def _permute_references(fund):
    """Give the fund's grants each other's internal references (reversed), in two steps for uniqueness."""
    grants = list(Grant.objects.filter(fund=fund).order_by("reference"))
    references = [g.reference for g in grants]
    for grant in grants:
        Grant.objects.filter(pk=grant.pk).update(reference=f"TMP-{grant.pk}")
    for grant, reference in zip(grants, reversed(references)):
        Grant.objects.filter(pk=grant.pk).update(reference=reference)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, pdftotext, tmp_path_factory):
    folder = tmp_path_factory.mktemp("disclosure")
    result = {}
    # DEMO_DATA_ALLOWED: load_demo refuses to run with DEBUG off unless told the database is throw-away.
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(folder / "media"), DEMO_DATA_ALLOWED=True):
        with transaction.atomic():
            call_command("load_demo", stdout=io.StringIO())
            for slug in FUNDS:
                fund = Fund.objects.get(slug=slug)
                result[slug] = {"facts": _facts(fund), **_outputs(fund, pdftotext, folder, slug)}
                _permute_references(fund)
                result[slug]["permuted"] = _outputs(fund, pdftotext, folder, slug + "-permuted")
            transaction.set_rollback(True)
    for slug in FUNDS:
        assert result[slug]["facts"]["hidden"], f"the demo fund {slug} should fund an at-risk organisation"
    return result


def xlsx_rows(book, sheet):
    rows = list(book[sheet].iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


def xlsx_text(book):
    return "\n".join(str(c) for s in book.worksheets for row in s.iter_rows(values_only=True) for c in row if c is not None)


def csv_rows(content):
    return list(csv.DictReader(io.StringIO(content)))


def all_text(outputs):
    return {
        "PDF": outputs["pdf"], "XLSX": xlsx_text(outputs["xlsx"]), "CSV": outputs["csv"],
        "360Giving": json.dumps(outputs["360"], ensure_ascii=False),
    }


@pytest.mark.parametrize("slug", FUNDS)
def test_no_internal_reference_or_stored_identifier_is_published(demo, slug):
    """A sequence like GJN-COVID19-2020-001, -003 shows where -002 went: no output carries one."""
    facts = demo[slug]["facts"]
    for label, text in all_text(demo[slug]).items():
        assert not INTERNAL_REFERENCE.search(text), f"an internal reference is in the {label}: {INTERNAL_REFERENCE.search(text)[0]}"
        for hidden in facts["hidden"]:
            for secret in [hidden["organisation"], hidden["org_id"], hidden["org_public_ref"], hidden["stored_public_reference"]]:
                assert secret not in text, f"{secret!r} of an at-risk grantee is in the {label}"


@pytest.mark.parametrize("slug", FUNDS)
def test_every_grant_carries_an_opaque_reference_and_the_order_ignores_internal_references(demo, slug):
    outputs, permuted = demo[slug], demo[slug]["permuted"]
    grants = xlsx_rows(outputs["xlsx"], "Grants")
    assert len({g["reference"] for g in grants}) == len(grants)
    for grant in grants:
        assert re.fullmatch(r"G-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", grant["reference"]), grant["reference"]
    # Shuffle which grant holds which internal reference: nothing published may change.
    assert xlsx_rows(permuted["xlsx"], "Grants") == grants
    assert xlsx_rows(permuted["xlsx"], "Payments") == xlsx_rows(outputs["xlsx"], "Payments")
    assert permuted["csv"] == outputs["csv"]
    assert permuted["360"] == outputs["360"]
    assert permuted["pdf"] == outputs["pdf"]


@pytest.mark.parametrize("slug", FUNDS)
def test_no_undisclosed_grant_is_dated_to_the_day(demo, slug):
    outputs = demo[slug]
    undisclosed = [g for g in xlsx_rows(outputs["xlsx"], "Grants") if g["organisation"] == "Undisclosed organisation"]
    assert undisclosed
    for grant in undisclosed:
        assert isinstance(grant["decided_on"], str) and QUARTER.match(grant["decided_on"]), grant["decided_on"]
    records = [g for g in outputs["360"]["grants"] if g["recipientOrganization"][0]["name"] == "Undisclosed organisation"]
    assert len(records) == len(demo[slug]["facts"]["hidden"])
    for record in records:
        day = datetime.date.fromisoformat(record["awardDate"])
        assert day.day == 1 and day.month in (1, 4, 7, 10), f"{record['awardDate']} is not the first day of a quarter"
        assert "plannedDates" not in record


@pytest.mark.parametrize("slug", FUNDS)
def test_no_payment_row_or_currency_pins_an_undisclosed_grant_down(demo, slug):
    outputs, facts = demo[slug], demo[slug]["facts"]
    base = facts["currency"]
    named_refs = {g["reference"] for g in xlsx_rows(outputs["xlsx"], "Grants") if g["organisation"] != "Undisclosed organisation"}
    payments = xlsx_rows(outputs["xlsx"], "Payments")
    for row in payments:
        if row["grant"] in named_refs:
            continue
        # Folded: a quarter, a region, the base currency; no rate, no grant, no organisation.
        assert QUARTER.match(str(row["paid_on"])) and row["currency"] == base and row["fx_rate"] is None, row
        assert row["organisation"] != "Undisclosed organisation"
    paid = sum(Decimal(str(r[f"amount_{base}"])) for r in payments)
    assert paid == sum(p.base_amount for p in facts["named_payments"] + [p for h in facts["hidden"] for p in h["payments"]])
    # A currency only undisclosed grants were paid in would point at where they are.
    named_currencies = {p.currency for p in facts["named_payments"]}
    for hidden in facts["hidden"]:
        for payment in hidden["payments"]:
            if payment.currency not in named_currencies | {base}:
                for label, text in all_text(outputs).items():
                    assert payment.currency not in text, f"{payment.currency}, paid only to an at-risk grantee, is in the {label}"
            # A folded row may equal one hidden payment only when that payment was the quarter's only
            # undisclosed one (then period total minus named payments gives it anyway, and the row
            # names no grant, day, country or currency): folding never isolates a poolable payment.
            quarter = disclosure.quarter_label(payment.paid_on)
            alone = [p for h in facts["hidden"] for p in h["payments"] if disclosure.quarter_label(p.paid_on) == quarter]
            if len(alone) > 1:
                assert not any(Decimal(str(r["amount"])) == payment.base_amount and r["grant"] not in named_refs
                               for r in payments), f"a folded row of {quarter} is one hidden payment"


@pytest.mark.parametrize("slug", FUNDS)
def test_the_time_series_does_not_give_an_undisclosed_payment_its_month(demo, slug):
    # Named payments are listed to the day in the XLSX: a month's total minus them is the hidden payment.
    facts, text = demo[slug]["facts"], demo[slug]["pdf"]
    for hidden in facts["hidden"]:
        for payment in hidden["payments"]:
            # A row of the time series starts its line with the month; the cover's date does not count.
            month = re.compile(rf"^\s*{payment.paid_on:%b %Y}\s+\S", re.MULTILINE)
            assert not month.search(text), f"{payment.paid_on:%b %Y} is a row of the PDF"


@pytest.mark.parametrize("slug", FUNDS)
def test_no_undisclosed_row_covers_fewer_than_three_organisations(demo, slug):
    outputs = demo[slug]
    csv_undisclosed = [r for r in csv_rows(outputs["csv"]) if r["country_code"] == "" and r["country"] != ""]
    xlsx_undisclosed = [r for r in xlsx_rows(outputs["xlsx"], "By country") if not r["country_code"]]
    assert csv_undisclosed and xlsx_undisclosed
    for row in csv_undisclosed + xlsx_undisclosed:
        if row["country"] != CATCH_ALL:
            assert int(row["organisations"]) >= 3, row
    for label, text in all_text(outputs).items():
        for line in text.splitlines():
            match = re.search(r"(\w[\w -]*) — undisclosed countries\D+(\d+)\s+(\d+)", line)
            if match and label == "PDF":
                assert int(match[3]) >= 3, f"{line.strip()} in the PDF"
    assert not re.search(r"undisclosed countries in \d+ region", outputs["pdf"])
    summary = [row[0] for row in outputs["xlsx"]["Summary"].iter_rows(values_only=True)]
    assert "Regions with undisclosed countries" not in summary


@pytest.mark.parametrize("slug", FUNDS)
def test_the_360giving_file_places_undisclosed_grants_only_in_groups_of_three(demo, slug):
    records = [g for g in demo[slug]["360"]["grants"] if g["recipientOrganization"][0]["name"] == "Undisclosed organisation"]
    organisations_by_place = {}
    for record in records:
        for place in record["beneficiaryLocation"] + record["recipientOrganization"][0]["location"]:
            organisations_by_place.setdefault(place["name"], set()).add(record["recipientOrganization"][0]["id"])
            assert "countryCode" not in place and "geoCode" not in place
    for place, organisations in organisations_by_place.items():
        assert place == CATCH_ALL or len(organisations) >= 3, f"{place} holds {len(organisations)} organisation(s)"


@pytest.mark.parametrize("slug", FUNDS)
def test_region_subtotals_hold_no_hidden_remainder(demo, slug):
    """A region's subtotal minus its named countries must not give back a small undisclosed cell."""
    book = demo[slug]["xlsx"]
    countries = [r for r in xlsx_rows(book, "By country") if r["country_code"] != "TOTAL"]
    for region in xlsx_rows(book, "By region"):
        named = [r for r in countries if r["region"] == region["region"] and r["country_code"]]
        undisclosed = [r for r in countries if r["region"] == region["region"] and not r["country_code"]]
        for column in ["committed", "disbursed"]:
            remainder = Decimal(str(region[column])) - sum(Decimal(str(r[column])) for r in named)
            assert remainder == sum(Decimal(str(r[column])) for r in undisclosed), (region, column)
        organisations = region["organisations"] - sum(r["organisations"] for r in named)
        assert organisations <= 0 or organisations >= 3 or any(r["country"] == CATCH_ALL for r in undisclosed), (
            f"{region['region']}'s subtotal less its named countries leaves {organisations} organisation(s)")


def test_the_same_organisation_is_not_linkable_between_the_two_funds(demo):
    """The demo's Cameroonian association is at risk and funded by both funds."""
    def pseudonyms(slug):
        return {g["recipientOrganization"][0]["id"] for g in demo[slug]["360"]["grants"]
                if g["recipientOrganization"][0]["name"] == "Undisclosed organisation"}

    shared = {h["org_pk"] for h in demo[COVID_SLUG]["facts"]["hidden"]} & {h["org_pk"] for h in demo[LEF_SLUG]["facts"]["hidden"]}
    assert shared, "the demo should fund one at-risk organisation from both funds"
    assert pseudonyms(COVID_SLUG) and pseudonyms(LEF_SLUG)
    assert not pseudonyms(COVID_SLUG) & pseudonyms(LEF_SLUG)
    # Nor between the 360Giving file and the donor report of the same fund.
    for slug in FUNDS:
        for pseudonym in pseudonyms(slug):
            assert pseudonym.split("-")[-1] not in xlsx_text(demo[slug]["xlsx"]) + demo[slug]["pdf"]
