"""The weighted score of one review, normalised to 0–100.

score = Σ(weight × score / max) / Σ(weight) × 100, computed exactly with fractions (so the
order of criteria cannot change the result) and then rounded DOWN to two decimals, so a
review shows 100 only when every criterion is at its maximum.
"""
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

HUNDREDTH = Decimal("0.01")


def weighted_score(marks):
    """`marks`: iterable of (score, max_score, weight). None when there is nothing to weigh."""
    total = Fraction(0)
    weights = Fraction(0)
    for score, max_score, weight in marks:
        weight = Fraction(Decimal(weight))
        total += weight * Fraction(Decimal(score)) / Fraction(Decimal(max_score))
        weights += weight
    if weights == 0:
        return None
    exact = total / weights * 100
    # Decimal of an exact fraction: floor to hundredths in integer arithmetic, no float step.
    hundredths = (exact.numerator * 100) // exact.denominator
    return (Decimal(hundredths) / 100).quantize(HUNDREDTH, rounding=ROUND_DOWN)
