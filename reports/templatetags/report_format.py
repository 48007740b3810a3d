"""Number formats for donor reports: exact Decimal amounts with thousands separators."""
from django import template

from fundops.money import minor_units, quantize

register = template.Library()


@register.filter
def amount(value, currency):
    """1234.5 in USD -> "1,234.50": quantised to the currency's minor unit, never through a float."""
    if value is None or value == "":
        return "—"
    return f"{quantize(value, currency):,.{minor_units(currency)}f}"


@register.filter
def percent(fraction, places=1):
    if fraction is None:
        return "—"
    return f"{fraction * 100:.{int(places)}f}%"


@register.filter
def days(value):
    return "—" if value is None else f"{value:.1f}"
