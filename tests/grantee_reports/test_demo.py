"""On the demo's own data: every step of a report is there, a grant closed per fund, entries in the
network's five languages — and the demo's at-risk grantees are never named or located."""
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from applications.models import State
from fundops.demo import COVID_SLUG, LEF_SLUG
from fundops.models import Fund, Organization
from grantee_reports import selectors
from grantee_reports.models import GrantReport, LearningEntry, ReportState

pytestmark = pytest.mark.django_db  # the test database; the demo itself is loaded once, below


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """load_demo once, the facts and pages read inside its transaction, then rolled back."""
    media = tmp_path_factory.mktemp("grantee-demo")
    result = {}
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(media), DEMO_DATA_ALLOWED=True):
        with transaction.atomic():
            call_command("load_demo", stdout=io.StringIO())
            client = Client()
            library = reverse("grantee_reports:learning")
            first = client.get(library)
            pages = [first.content.decode()]
            for number in range(2, first.context["page"].paginator.num_pages + 1):
                pages.append(client.get(library, {"page": number}).content.decode())
            regions = [value for value, _label in first.context["form"].fields["region"].widget.choices if value]
            result["by_region"] = {region: client.get(library, {"region": region}).content.decode() for region in regions}
            result["library"] = "\n".join(pages)
            result["states"] = set(GrantReport.objects.values_list("state", flat=True))
            result["overdue"] = sum(report.is_overdue for report in GrantReport.objects.all())
            result["closed"] = {
                slug: Fund.objects.get(slug=slug).grants.filter(application__state=State.CLOSED).count()
                for slug in (COVID_SLUG, LEF_SLUG)
            }
            result["languages"] = set(selectors.published_entries().values_list("language", flat=True))
            at_risk = Organization.objects.filter(at_risk=True)
            named_countries = set(LearningEntry.objects.filter(
                report__grant__organization__at_risk=False, report__state=ReportState.ACCEPTED, consent_publish=True,
            ).values_list("report__grant__organization__country", flat=True))
            # A country is a secret unless a named grantee that published works there too.
            result["secrets"] = [(o.name, "" if o.country.code in named_countries else o.country.name, o.city)
                                 for o in at_risk]
            result["at_risk_published"] = LearningEntry.objects.filter(
                report__grant__organization__at_risk=True, report__state=ReportState.ACCEPTED, consent_publish=True
            ).values_list("report__grant__organization__country", "consent_region")
            result["at_risk_published"] = list(result["at_risk_published"])
            result["donor"] = "\n".join(
                render_to_string("grantee_reports/_donor_section.html", {
                    "grantee_reports": selectors.donor_report_section(
                        fund=fund, start=fund.opens_on, end=timezone.localdate().replace(year=timezone.localdate().year + 3),
                        excerpts=10)})
                for fund in Fund.objects.filter(slug__in=[COVID_SLUG, LEF_SLUG])
            )
            transaction.set_rollback(True)
    return result


def test_the_demo_shows_every_step_and_a_closed_grant_per_fund(demo):
    assert {ReportState.DUE, ReportState.SUBMITTED, ReportState.CHANGES_REQUESTED, ReportState.ACCEPTED} <= demo["states"]
    assert demo["overdue"] >= 1
    assert demo["closed"][COVID_SLUG] >= 1 and demo["closed"][LEF_SLUG] >= 1
    assert {"en", "fr", "es", "pt", "ar"} <= demo["languages"]


def test_the_demos_at_risk_grantees_publish_and_are_never_named_or_located(demo):
    # The demo's at-risk grantees do publish (so this test can fail); the demo alternates their consent
    # to show the region, so with two of them both cases are on show.
    published = demo["at_risk_published"]
    assert published, "the demo should publish what an at-risk grantee learned"
    if len(published) > 1:
        assert {consent for _country, consent in published} == {True, False}, published
    assert demo["library"].count("Undisclosed organisation") == len(demo["at_risk_published"])
    for name, country, city in demo["secrets"]:
        for text in (demo["library"], demo["donor"], *demo["by_region"].values()):
            assert name not in text
            assert city not in text
            if country:
                assert country not in text


def test_filtering_by_region_never_finds_an_at_risk_grantee_that_withheld_it(demo):
    from fundops.regions import region_for

    for country, consented in demo["at_risk_published"]:
        region = region_for(country)
        page = demo["by_region"].get(region, "")
        found = "Undisclosed organisation" in page
        assert found == consented, f"{region}: an at-risk grantee's entry is {'missing' if consented else 'findable'}"
