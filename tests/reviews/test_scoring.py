"""The weighted score of a review: 0–100, order-independent, 100 only for a perfect review."""
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.scoring import weighted_score


@st.composite
def marks(draw):
    """A rubric of 1–8 criteria (max 1–10, weight 0.01–20) and a score for each."""
    count = draw(st.integers(min_value=1, max_value=8))
    result = []
    for _ in range(count):
        max_score = draw(st.integers(min_value=1, max_value=10))
        score = draw(st.integers(min_value=0, max_value=max_score))
        weight = Decimal(draw(st.integers(min_value=1, max_value=2000))) / 100
        result.append((score, max_score, weight))
    return result


@given(marks())
def test_weighted_score_stays_within_0_and_100(rubric_marks):
    score = weighted_score(rubric_marks)
    assert isinstance(score, Decimal)
    assert Decimal("0") <= score <= Decimal("100")


@given(marks(), st.randoms(use_true_random=False))
def test_weighted_score_does_not_depend_on_the_order_of_criteria(rubric_marks, rnd):
    shuffled = list(rubric_marks)
    rnd.shuffle(shuffled)
    assert weighted_score(shuffled) == weighted_score(rubric_marks)


@settings(max_examples=300)
@given(marks())
def test_weighted_score_is_100_only_when_every_criterion_is_at_its_maximum(rubric_marks):
    all_max = all(score == max_score for score, max_score, _ in rubric_marks)
    assert (weighted_score(rubric_marks) == Decimal("100")) == all_max


@given(marks())
def test_all_zero_scores_give_0(rubric_marks):
    zeros = [(0, max_score, weight) for _, max_score, weight in rubric_marks]
    assert weighted_score(zeros) == Decimal("0")


def test_weights_count_as_documented():
    # (2 × 4/5 + 1 × 5/10) / 3 × 100 = (1.6 + 0.5) / 3 × 100 = 70
    assert weighted_score([(4, 5, Decimal("2")), (5, 10, Decimal("1"))]) == Decimal("70.00")
    # 2/3 of the way: 66.666… shows as 66.66 (rounded down, so nothing short of perfect reaches 100)
    assert weighted_score([(2, 3, Decimal("1"))]) == Decimal("66.66")
    assert weighted_score([(999, 1000, Decimal("1"))]) == Decimal("99.90")
    assert weighted_score([(99999, 100000, Decimal("1"))]) == Decimal("99.99")


def test_no_criteria_gives_no_score():
    assert weighted_score([]) is None
