"""The public learning library and the donor report's section: accepted, consented entries only,
searchable and filterable — and never naming or locating an at-risk grantee."""
import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from grantee_reports import selectors, services
from tests import factories
from tests.disbursements.helpers import funded

from .helpers import TODAY, accepted, approved_grant, grantee_of, submitted

pytestmark = pytest.mark.django_db
LIBRARY = reverse("grantee_reports:learning")


def _learning(text, *, themes=("impact",), language="en", publish=True, region=False):
    return {"text": text, "themes": list(themes), "language": language, "consent_publish": publish,
            "consent_region": region}


def _grant(officer, fund, *, country="KE", at_risk=False, name=None):
    organization = factories.OrganizationFactory(country=country, at_risk=at_risk, **({"name": name} if name else {}))
    return approved_grant(fund, officer, amount="5000", organization=organization)


@pytest.fixture
def library(officer):
    """Four grants of a rapid fund: a named grantee, two at-risk ones (region shown / not), one not consenting."""
    fund = funded(rapid=True)
    named = _grant(officer, fund, country="BR", name="Rede de Paralegais da Bahia")
    hidden = _grant(officer, fund, country="UG", at_risk=True, name="Rainbow Legal Defence Uganda")
    located = _grant(officer, fund, country="CM", at_risk=True, name="Parajuristes du Nord-Ouest")
    private = _grant(officer, fund, country="KE", name="Kituo cha Haki")
    accepted(named.reports.get(), grantee_of(named), officer, lines=[("Rent", "10")],
             learning=_learning("Medir o impacto mudou o treino dos paralegais.", language="pt"))
    accepted(hidden.reports.get(), grantee_of(hidden), officer, lines=[("Rent", "10")],
             learning=_learning("Safety first: new numbers, files kept away from the office.", themes=["civic_space"]))
    accepted(located.reports.get(), grantee_of(located), officer, lines=[("Rent", "10")],
             learning=_learning("Nous avons appris à protéger nos parajuristes.", language="fr", region=True))
    accepted(private.reports.get(), grantee_of(private), officer, lines=[("Rent", "10")],
             learning=_learning("Not for the public.", publish=False))
    return fund, {"named": named, "hidden": hidden, "located": located, "private": private}


def test_the_library_is_public_and_shows_only_accepted_consented_entries(client, library, officer):
    fund, grants = library
    pending = _grant(officer, fund, country="GH")
    submitted(pending.reports.get(), grantee_of(pending), lines=[("Rent", "10")], learning=_learning("Still in review."))
    page = client.get(LIBRARY).content.decode()
    assert "Medir o impacto" in page and "Safety first" in page and "Nous avons appris" in page
    assert "Not for the public." not in page and "Still in review." not in page
    assert "3 entries" in page


def test_at_risk_grantees_are_never_named_or_placed_in_a_country(client, library):
    fund, grants = library
    page = client.get(LIBRARY).content.decode()
    for key in ("hidden", "located"):
        grant = grants[key]
        for secret in (grant.organization.name, grant.organization.country.name, grant.reference,
                       grant.public_reference, grant.organization.org_id, grant.organization.city):
            assert secret not in page, f"{secret} leaked into the library"
    assert page.count("Undisclosed organisation") == 2
    assert "Middle Africa" in page  # the Cameroonian group consented to its region
    assert "Eastern Africa" not in page  # the Ugandan one did not
    assert "Rede de Paralegais da Bahia" in page and "Brazil" in page  # named grantees are named
    assert grants["named"].reference not in page  # no grant is identified, named or not


def test_the_region_filter_cannot_locate_a_grantee_that_withheld_its_region(client, library):
    eastern = client.get(LIBRARY, {"region": "Eastern Africa"}).content.decode()
    assert "Safety first" not in eastern
    undisclosed = client.get(LIBRARY, {"region": "Undisclosed"}).content.decode()
    assert "Safety first" in undisclosed and "Nous avons appris" not in undisclosed
    middle = client.get(LIBRARY, {"region": "Middle Africa"}).content.decode()
    assert "Nous avons appris" in middle and "Safety first" not in middle
    options = client.get(LIBRARY).context["form"].fields["region"].widget.choices
    assert [value for value, _label in options] == ["", "Middle Africa", "South America", "Undisclosed"]


def test_search_theme_and_language_filters(client, library):
    def texts(**query):
        return [entry.text for entry in client.get(LIBRARY, query).context["entries"]]

    assert texts(q="parajuristes") == ["Nous avons appris à protéger nos parajuristes."]
    assert texts(theme="civic_space") == ["Safety first: new numbers, files kept away from the office."]
    assert texts(language="pt") == ["Medir o impacto mudou o treino dos paralegais."]
    assert texts(q="nothing like this") == []
    assert client.get(LIBRARY, {"theme": "no-such-theme"}).status_code == 200  # ignored, not an error


def test_the_library_is_paginated(client, officer, settings):
    fund = funded(received="200000", rapid=True)
    for number in range(23):
        grant = _grant(officer, fund)
        accepted(grant.reports.get(), grantee_of(grant), officer, lines=[("Rent", "10")],
                 learning=_learning(f"Lesson number {number}."))
    first = client.get(LIBRARY)
    assert len(first.context["entries"]) == 20 and "1 / 2" in first.content.decode()
    assert len(client.get(LIBRARY, {"page": 2}).context["entries"]) == 3


def test_the_donor_section_counts_and_quotes_safely(library, officer):
    fund, grants = library
    due_later = _grant(officer, fund)
    services.report_due_date_change(report=due_later.reports.get(), by=officer, due_on=TODAY() - datetime.timedelta(days=2))
    start, end = TODAY() - datetime.timedelta(days=30), TODAY() + datetime.timedelta(days=500)
    section = selectors.donor_report_section(fund=fund, start=start, end=end)
    assert (section.received, section.accepted, section.overdue) == (4, 4, 1)
    assert section.due == 5
    assert len(section.excerpts) == 3
    html = render_to_string("grantee_reports/_donor_section.html", {"grantee_reports": section})
    for key in ("hidden", "located"):
        assert grants[key].organization.name not in html
        assert grants[key].organization.country.name not in html
    assert "Not for the public." not in html
    empty = selectors.donor_report_section(fund=fund, start=TODAY() - datetime.timedelta(days=900),
                                           end=TODAY() - datetime.timedelta(days=800))
    assert empty.is_empty
