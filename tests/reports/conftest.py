"""Test worlds for donor reports: grants with paid payments at their own FX rates."""
import datetime
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone

from fundops.money import to_base
from tests import factories

_transfer = itertools.count(1)


def at(day, hour=12):
    """An aware datetime on `day` (a date) at `hour`."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def make_grant(fund, *, countries=("KE",), amount="10000", currency="USD", rate="1", decided_on=None,
               organization=None, submitted_at=None, **org_fields):
    organization = organization or factories.OrganizationFactory(**org_fields)
    decided_on = decided_on or datetime.date(2026, 3, 10)
    application = factories.ApplicationFactory(
        fund=fund, organization=organization, countries=list(countries), state="approved",
        submitted_at=submitted_at or at(decided_on - datetime.timedelta(days=2)),
        decided_at=at(decided_on),
    )
    return factories.GrantFactory(
        application=application, amount=Decimal(amount), currency=currency, fx_rate=Decimal(rate),
        decided_at=at(decided_on),
    )


def pay(grant, amount, rate, paid_on, state="paid"):
    """A payment of `amount` in the grant's currency, recorded at `rate` on `paid_on`."""
    tranche = grant.tranches.first() or factories.TrancheFactory(grant=grant)
    amount, rate = Decimal(amount), Decimal(rate)
    return factories.PaymentFactory(
        tranche=tranche, amount=amount, state=state, paid_on=paid_on, fx_rate=rate, fx_date=paid_on,
        base_amount=to_base(amount, rate, grant.fund.base_currency), reference=f"TRF-{next(_transfer)}",
    )


@pytest.fixture
def fund(db):
    return factories.FundFactory(
        name="Grassroots Justice Test Fund", slug="gj-test", opens_on=datetime.date(2026, 1, 1),
        closes_on=None, max_grant=Decimal("100000"),
    )
