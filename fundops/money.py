"""Money: Decimal amounts with an ISO 4217 currency, quantised in one place.

Rule (DESIGN.md, money rule 2): base amount = amount x rate, quantised to the base
currency's minor unit with ROUND_HALF_EVEN (banker's rounding, no drift across many sums).
"""
import re
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.utils.translation import gettext as _

ROUNDING = ROUND_HALF_EVEN

# ISO 4217 minor units that differ from the usual two decimals.
_MINOR_UNITS = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

CURRENCIES = {
    "USD": "US dollar", "EUR": "Euro", "GBP": "Pound sterling", "CHF": "Swiss franc",
    "CAD": "Canadian dollar", "AUD": "Australian dollar", "NZD": "New Zealand dollar",
    "SEK": "Swedish krona", "NOK": "Norwegian krone", "DKK": "Danish krone", "JPY": "Yen",
    "KES": "Kenyan shilling", "UGX": "Uganda shilling", "TZS": "Tanzanian shilling",
    "RWF": "Rwanda franc", "ETB": "Ethiopian birr", "NGN": "Naira", "GHS": "Ghana cedi",
    "XOF": "CFA franc BCEAO", "XAF": "CFA franc BEAC", "ZAR": "Rand", "MWK": "Malawi kwacha",
    "ZMW": "Zambian kwacha", "SLE": "Leone", "LRD": "Liberian dollar", "EGP": "Egyptian pound",
    "MAD": "Moroccan dirham", "TND": "Tunisian dinar", "JOD": "Jordanian dinar",
    "INR": "Indian rupee", "BDT": "Taka", "NPR": "Nepalese rupee", "PKR": "Pakistan rupee",
    "LKR": "Sri Lanka rupee", "IDR": "Rupiah", "PHP": "Philippine peso", "MMK": "Kyat",
    "THB": "Baht", "KHR": "Riel", "VND": "Dong", "MYR": "Malaysian ringgit", "MXN": "Mexican peso",
    "GTQ": "Quetzal", "HNL": "Lempira", "COP": "Colombian peso", "BRL": "Brazilian real",
    "PEN": "Sol", "BOB": "Boliviano", "CLP": "Chilean peso", "ARS": "Argentine peso",
    "UAH": "Hryvnia", "KGS": "Som", "MNT": "Tugrik",
}
CURRENCY_CHOICES = sorted((code, f"{code} — {name}") for code, name in CURRENCIES.items())


class MoneyError(ValueError):
    """An amount, rate or currency that cannot be used."""


def minor_units(currency):
    return _MINOR_UNITS.get(currency, 2)


def quantize(amount, currency):
    """Round a Decimal to the currency's minor unit with ROUND_HALF_EVEN."""
    if isinstance(amount, float):
        # Floats carry binary noise; the caller must convert from text first.
        raise MoneyError("Money must be a Decimal, not a float.")
    exponent = Decimal(1).scaleb(-minor_units(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUNDING)


def to_base(amount, rate, base_currency):
    """The base-currency amount of `amount` at `rate` (base units per one unit)."""
    if isinstance(amount, float) or isinstance(rate, float):
        raise MoneyError("Money and rates must be Decimals, not floats.")
    if rate is None or Decimal(rate) <= 0:
        raise MoneyError("An exchange rate must be a positive number.")
    return quantize(Decimal(amount) * Decimal(rate), base_currency)


def parse_decimal(text):
    """Parse user or file text ("1,250.50" is refused: use a '.' point) into a Decimal."""
    if isinstance(text, Decimal):
        return text
    if isinstance(text, int):
        return Decimal(text)
    if isinstance(text, float):
        # Spreadsheet cells arrive as floats; repr() is the shortest text that round-trips.
        return Decimal(repr(text))
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, TypeError):
        raise MoneyError(f"“{text}” is not a number (use digits with a '.' decimal point).")
    if not value.is_finite():
        raise MoneyError(f"“{text}” is not a number.")
    return value


# Typed by a person -------------------------------------------------------------------------

# The Arabic decimal separator (U+066B) is what an Arabic keyboard types for the point.
_DECIMAL_POINTS = {".": ".", "\u066b": "."}
_TYPED_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)")


def _digit_system(char):
    """'' for ASCII digits, else the Unicode block's name ('ARABIC-INDIC', 'DEVANAGARI', …)."""
    return "" if char in "0123456789" else unicodedata.name(char, "").rpartition(" DIGIT ")[0]


def ascii_digits(text):
    """`text` with the decimal digits of any one writing system as ASCII: '١٢٣' -> '123'.

    Applicants type on their own keyboards (Arabic, Persian, Devanagari, Bengali…) and mean the
    number they see. Digits of two systems in one number are left alone: that is a typing slip or a
    spoofing trick, and the caller refuses the text as it stands.
    """
    text = str(text)
    systems = {_digit_system(char) for char in text if unicodedata.decimal(char, None) is not None}
    if len(systems) > 1:
        return text
    return "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char for char in text
    )


def parse_typed_decimal(text):
    """A number a person typed into a form, as a Decimal; MoneyError (with the reason) otherwise.

    Plain digits with an optional '.' point only. Refused: exponents ('1e9' reads as a billion
    to Python but to nobody filling a grant form), thousands separators, digits of two writing
    systems, anything else. Digits of one other writing system are accepted as ASCII (ascii_digits).
    """
    if isinstance(text, Decimal):
        return text
    raw = str(text).strip()
    typed = "".join(_DECIMAL_POINTS.get(char, char) for char in ascii_digits(raw))
    if _TYPED_NUMBER.fullmatch(typed) and typed.isascii():
        return Decimal(typed)
    if re.search(r"\d[eE][-+]?\d", typed):
        raise MoneyError(_("Write the number in full, without an exponent: 1000000, not 1e6."))
    if "," in typed or "\u066c" in typed or " " in typed:
        raise MoneyError(_("Write the number without thousands separators, with a '.' for decimals: 1250.50."))
    if not typed.isascii() and any(unicodedata.decimal(char, None) is not None for char in typed):
        raise MoneyError(_("Type the number in one set of digits."))
    raise MoneyError(_("“%(text)s” is not a number: use digits and a '.' decimal point.") % {"text": raw[:40]})


def format_money(amount, currency):
    if amount is None:
        return "—"
    value = quantize(amount, currency)
    return f"{currency} {value:,.{minor_units(currency)}f}"
