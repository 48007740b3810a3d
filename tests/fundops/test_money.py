"""Money rule 2: base = amount x rate, quantised to the base currency with ROUND_HALF_EVEN."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundops.money import MoneyError, minor_units, parse_decimal, quantize, to_base


def test_half_even_rounding_to_the_cent():
    assert to_base(Decimal("10.005"), Decimal("1"), "USD") == Decimal("10.00")
    assert to_base(Decimal("10.015"), Decimal("1"), "USD") == Decimal("10.02")


def test_zero_decimal_and_three_decimal_currencies():
    assert minor_units("JPY") == 0 and minor_units("KWD") == 3 and minor_units("KES") == 2
    assert quantize(Decimal("1234.5"), "UGX") == Decimal("1234")
    assert quantize(Decimal("1.2345"), "KWD") == Decimal("1.234")


def test_floats_are_refused_and_spreadsheet_floats_parse_exactly():
    with pytest.raises(MoneyError):
        quantize(0.1, "USD")
    assert parse_decimal(1234.56) == Decimal("1234.56")
    with pytest.raises(MoneyError):
        parse_decimal("12,50")


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("5000"), places=6),
)
def test_base_amount_is_the_product_quantised_to_the_cent(amount, rate):
    base = to_base(amount, rate, "USD")
    assert base.as_tuple().exponent == -2
    assert abs(base - amount * rate) <= Decimal("0.005")
