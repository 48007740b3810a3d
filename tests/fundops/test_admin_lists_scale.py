"""Admin lists cost the same number of queries whatever the number of rows (issue 15)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = factories.UserFactory(username="ada-lists", is_staff=True, is_superuser=True)
    client.login(username=admin.username, password=PASSWORD)
    return client


def _applications(count, start=0):
    """`count` applications spread over several funds and calls (each call's name reads its fund's)."""
    funds = [factories.FundFactory() for _ in range(3)]
    calls = [factories.CallFactory(fund=fund) for fund in funds for _ in range(2)]
    for n in range(count):
        call = calls[(start + n) % len(calls)]
        factories.ApplicationFactory(fund=call.fund, call=call, organization=factories.OrganizationFactory())


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("path", [
    "admin:applications_application_changelist",
    "admin:fundops_call_changelist",
    "admin:fundops_organization_changelist",
])
def test_a_list_page_costs_the_same_queries_at_5_and_60_rows(admin_client, path):
    _applications(5)
    few, _ = _queries(admin_client, reverse(path))
    _applications(55, start=5)
    many, response = _queries(admin_client, reverse(path))
    assert many == few, f"{path}: {few} queries at 5 rows, {many} at 60"


def test_the_application_list_filters_by_call_and_has_no_country_filter_or_date_hierarchy(admin_client):
    _applications(6)
    call = factories.CallFactory()
    mine = factories.ApplicationFactory(fund=call.fund, call=call, title="Only this one")
    url = reverse("admin:applications_application_changelist")
    count, response = _queries(admin_client, url)
    content = response.content.decode()
    assert str(call) in content  # the call filter names calls by fund and name
    assert "organization__country" not in content and response.context["cl"].date_hierarchy is None
    assert "Past 7 days" in content  # the submission date filter replaces the hierarchy
    filtered = admin_client.get(url, {"call__id__exact": call.pk})
    assert list(filtered.context["cl"].result_list) == [mine]
