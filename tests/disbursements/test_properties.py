"""Property-based tests of the arithmetic: tranche splits (invariant 7) and base amounts (invariant 2)."""
import datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from disbursements.services import tranche_split
from fundops.money import minor_units, to_base

CURRENCIES = ["USD", "EUR", "JPY", "UGX", "KES", "JOD", "TND", "XOF"]
DUE = datetime.date(2026, 1, 15)


@st.composite
def awards(draw):
    currency = draw(st.sampled_from(CURRENCIES))
    places = minor_units(currency)
    units = draw(st.integers(min_value=1, max_value=10**12))
    return Decimal(units).scaleb(-places), currency


@st.composite
def percentages(draw):
    """Two to six positive percentages with up to two decimals adding up to exactly 100."""
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=9999), min_size=1, max_size=5)))
    bounds = [0, *cuts, 10000]
    return [Decimal(b - a).scaleb(-2) for a, b in zip(bounds, bounds[1:])]


@settings(max_examples=300, deadline=None)
@given(award=awards(), shares=percentages())
def test_percentage_tranches_sum_exactly_to_the_award(award, shares):
    amount, currency = award
    plan = {"mode": "percent", "parts": [(share, DUE + datetime.timedelta(days=i)) for i, share in enumerate(shares)]}
    quantum = Decimal(1).scaleb(-minor_units(currency))
    try:
        tranches = tranche_split(amount=amount, currency=currency, plan=plan)
    except ValidationError as error:
        # Only refused when a share would round to nothing: the award is too small to split so.
        assert "0 or less" in str(error)
        assert any(amount * share / 100 < quantum for share in shares[:-1]) or amount * shares[-1] / 100 <= quantum * len(shares)
        return
    values = [value for value, _ in tranches]
    assert sum(values) == amount
    assert all(value > 0 and value == value.quantize(quantum) for value in values)
    # Every tranche but the last is its share rounded half-even; the last takes the remainder.
    for value, share in zip(values[:-1], shares[:-1]):
        assert value == (amount * share / 100).quantize(quantum, rounding=ROUND_HALF_EVEN)
    assert abs(values[-1] - amount * shares[-1] / 100) <= quantum * len(shares)


@settings(max_examples=200, deadline=None)
@given(award=awards(), cuts=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=5))
def test_amount_tranches_must_sum_to_the_award(award, cuts):
    amount, currency = award
    quantum = Decimal(1).scaleb(-minor_units(currency))
    parts = [Decimal(c) * quantum for c in cuts]
    assume(sum(parts) < amount)
    plan = {"mode": "amount", "parts": [(p, DUE) for p in parts] + [(amount - sum(parts), DUE)]}
    assert [v for v, _ in tranche_split(amount=amount, currency=currency, plan=plan)] == [*parts, amount - sum(parts)]
    plan["parts"][-1] = (amount - sum(parts) + quantum, DUE)
    with pytest.raises(ValidationError, match="not the award"):
        tranche_split(amount=amount, currency=currency, plan=plan)


def test_a_single_upfront_tranche_is_the_default():
    assert tranche_split(amount=Decimal("8000"), currency="USD", plan={"mode": "single", "due_on": DUE}) == [
        (Decimal("8000"), DUE)
    ]


@pytest.mark.parametrize(
    "plan, message",
    [
        ({"mode": "percent", "parts": [(Decimal("50"), DUE), (Decimal("49.99"), DUE)]}, "add up to 99.99%"),
        ({"mode": "percent", "parts": [(Decimal("100"), DUE), (Decimal("0"), DUE)]}, "greater than zero"),
        ({"mode": "amount", "parts": [(Decimal("-1"), DUE), (Decimal("1001"), DUE)]}, "greater than zero"),
        ({"mode": "amount", "parts": [(Decimal("500.001"), DUE), (Decimal("499.999"), DUE)]}, "2 decimal places"),
        ({"mode": "amount", "parts": [(Decimal("500"), DUE), (Decimal("500"), DUE - datetime.timedelta(days=1))]}, "run in order"),
    ],
)
def test_bad_plans_say_what_is_wrong(plan, message):
    with pytest.raises(ValidationError, match=message):
        tranche_split(amount=Decimal("1000"), currency="USD", plan=plan)


@settings(max_examples=300, deadline=None)
@given(
    award=awards(),
    rate=st.decimals(min_value=Decimal("0.0000000001"), max_value=Decimal("100000"), places=10),
    base=st.sampled_from(["USD", "EUR", "JPY", "JOD"]),
)
def test_base_amounts_use_the_rate_and_the_base_minor_unit_half_even(award, rate, base):
    amount, _ = award
    assume(rate > 0)
    quantum = Decimal(1).scaleb(-minor_units(base))
    value = to_base(amount, rate, base)
    exact = amount * rate
    assert value == exact.quantize(quantum, rounding=ROUND_HALF_EVEN)
    assert abs(value - exact) <= quantum / 2


def test_half_even_rounding_on_the_boundary():
    assert to_base(Decimal("0.05"), Decimal("0.5"), "USD") == Decimal("0.02")  # 0.025 -> 0.02
    assert to_base(Decimal("0.07"), Decimal("0.5"), "USD") == Decimal("0.04")  # 0.035 -> 0.04
