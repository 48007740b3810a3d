"""Small helpers shared by the review tests."""


def full_scores(fund, value=None, comment="Fine.", rubric=None):
    """{criterion id: {score, comment}} for every criterion of `rubric` (the fund's first rubric
    version when not given); `value` None means each at its max."""
    rubric = rubric or fund.rubrics.filter(call=None).order_by("version").first()
    return {
        c.pk: {"score": c.max_score if value is None else value, "comment": comment}
        for c in rubric.criteria.all()
    }
