"""Small helpers shared by the review tests."""


def full_scores(fund, value=None, comment="Fine."):
    """{criterion id: {score, comment}} for every criterion; `value` None means each at its max."""
    return {
        c.pk: {"score": c.max_score if value is None else value, "comment": comment}
        for c in fund.rubric.criteria.all()
    }
