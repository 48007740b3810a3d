"""Reads about reviews that views, exports and the approval service share.

Per-application numbers come from the database in a fixed number of queries however many
applications a call holds (the ranking and the reviewer queue are checked for that).
"""
from decimal import Decimal

from django.db.models import Avg, Count, F, Max, Min, Q
from django.db.models.functions import Coalesce

from applications.models import Application, State
from fundops.models import Fund

from .models import Assignment, ConflictDeclaration, Criterion, PanelTieBreak, PanelVote, Recommendation, Review, Rubric, Score

IN_REVIEW_STATES = [State.IN_REVIEW, State.INFO_REQUESTED]
HUNDREDTH = Decimal("0.01")


def fund_rubric(*, fund):
    """The fund's rubric with its criteria, or None when none is set up yet."""
    return Rubric.objects.filter(fund=fund).prefetch_related("criteria").first()


def _is_panel_fund(fund):
    return fund.is_rapid_response and Rubric.objects.filter(fund=fund, mode=Rubric.Mode.PANEL_VOTE).exists()


def panel_result(*, application, votes=None, panel_size=None, tie_break=None, fetch=True):
    """The panel's outcome: fund / do_not_fund when a majority is certain, "tie" when every
    member voted and they split evenly (a program officer breaks it), None while still open."""
    if fetch:
        votes = dict(
            PanelVote.objects.filter(application=application).values_list("vote").annotate(n=Count("id")).values_list("vote", "n")
        )
        panel_size = Assignment.objects.filter(application=application, status__in=Assignment.ACTIVE).count()
        tie_break = PanelTieBreak.objects.filter(application=application).first()
    in_favour = votes.get(PanelVote.Vote.FUND, 0)
    against = votes.get(PanelVote.Vote.DO_NOT_FUND, 0)
    cast = in_favour + against
    size = max(panel_size or 0, cast)
    result = {"fund": in_favour, "do_not_fund": against, "margin": in_favour - against, "cast": cast,
              "panel_size": size, "outcome": None, "tie": False, "tie_break": tie_break}
    if size == 0:
        return result
    # A side with more than half of the whole panel cannot be overturned by the votes still to come.
    if in_favour * 2 > size:
        result["outcome"] = PanelVote.Vote.FUND
    elif against * 2 > size:
        result["outcome"] = PanelVote.Vote.DO_NOT_FUND
    elif cast == size and in_favour == against:
        result["tie"] = True
        if tie_break is not None:
            result["outcome"] = tie_break.vote
    return result


def application_ready_for_decision(*, application):
    """True when the fund's required reviews are in (or, for a panel-vote rapid-response fund,
    the panel has a majority or a tie the program officer has broken)."""
    fund = application.fund
    if _is_panel_fund(fund):
        result = panel_result(application=application)
        return result["outcome"] is not None and result["cast"] >= fund.reviews_required
    submitted = Review.objects.filter(
        assignment__application=application,
        status=Review.Status.SUBMITTED,
        assignment__status=Assignment.Status.SUBMITTED,
    ).count()
    return submitted >= fund.reviews_required


def _quantize(value):
    return None if value is None else Decimal(value).quantize(HUNDREDTH)


def application_review_summary(*, application):
    """Mean weighted score (0–100), spread (highest minus lowest), count of submitted reviews,
    recommendation counts, panel result, and whether a decision can be taken."""
    submitted = Review.objects.filter(
        assignment__application=application,
        status=Review.Status.SUBMITTED,
        assignment__status=Assignment.Status.SUBMITTED,
    )
    figures = submitted.aggregate(
        count=Count("id"),
        mean=Avg("weighted_score"),
        low=Min("weighted_score"),
        high=Max("weighted_score"),
        **{f"rec_{value}": Count("id", filter=Q(recommendation=value)) for value in Recommendation.values},
    )
    spread = None if figures["low"] is None else _quantize(Decimal(figures["high"]) - Decimal(figures["low"]))
    panel = panel_result(application=application) if _is_panel_fund(application.fund) else None
    return {
        "count": figures["count"],
        "required": application.fund.reviews_required,
        "mean": _quantize(figures["mean"]),
        "spread": spread,
        "recommendations": {value: figures[f"rec_{value}"] for value in Recommendation.values},
        "panel": panel,
        "ready": application_ready_for_decision(application=application),
    }


# The reviewer's workspace -------------------------------------------------------------


def reviewer_queue(*, reviewer):
    """Assignments still to do: overdue and nearest decision deadlines first (rapid-response
    applications have one), then by the reviewer's own due date."""
    return (
        Assignment.objects.filter(reviewer=reviewer, status__in=Assignment.OPEN)
        .select_related("application__fund__rubric", "application__organization", "application__call", "review")
        .order_by(F("application__decision_deadline").asc(nulls_last=True), Coalesce("due_at", "assigned_at"), "id")
    )


def reviewer_submitted(*, reviewer):
    return (
        Assignment.objects.filter(reviewer=reviewer, status=Assignment.Status.SUBMITTED)
        .select_related("application__fund", "application__organization", "review")
        .order_by("-review__submitted_at")
    )


def reviewer_assignment(*, reviewer, pk):
    """The reviewer's own assignment, or None (views answer 404: nothing about it leaks)."""
    return (
        Assignment.objects.filter(reviewer=reviewer, pk=pk)
        .select_related("application__fund", "application__organization", "application__call")
        .first()
    )


def reviewer_may_see_application(*, reviewer, application):
    return Assignment.objects.filter(
        reviewer=reviewer,
        application=application,
        status__in=[Assignment.Status.NO_CONFLICT, Assignment.Status.SUBMITTED],
    ).exists()


def documents_withheld_from_reviewers(application):
    """On a blind fund reviewers get no documents: budgets and registration papers name the
    organisation. The score page and the download check (reviews.signals.reviewer_may_view) both ask here."""
    return application.fund.blind_review


def reviewer_documents(*, assignment):
    """The documents listed on a reviewer's score page."""
    application = assignment.application
    if documents_withheld_from_reviewers(application):
        return []
    return list(application.attachments.all())


def reviews_visible_to_reviewer(*, assignment):
    """Other reviewers' submitted reviews — only once this reviewer has submitted their own."""
    if assignment.status != Assignment.Status.SUBMITTED:
        return Review.objects.none()
    return (
        Review.objects.filter(
            assignment__application_id=assignment.application_id,
            status=Review.Status.SUBMITTED,
            assignment__status=Assignment.Status.SUBMITTED,
        )
        .exclude(assignment=assignment)
        .select_related("assignment__reviewer")
        .prefetch_related("scores__criterion")
    )


# The program officer's pages ---------------------------------------------------------


def application_assignments(*, application):
    return (
        Assignment.objects.filter(application=application)
        .select_related("reviewer", "replaced_by__reviewer", "review")
        .prefetch_related("declarations")
        .order_by("assigned_at", "id")
    )


def application_declarations(*, application):
    """Conflict-of-interest declarations about an application, for staff (the timeline)."""
    return (
        ConflictDeclaration.objects.filter(assignment__application=application)
        .select_related("assignment__reviewer")
        .order_by("declared_at", "id")
    )


RANKING_SORTS = {
    "score": "mean_score",
    "spread": "spread",
    "count": "review_count",
    "fund": "rec_fund",
    "maybe": "rec_maybe",
    "do_not_fund": "rec_do_not_fund",
    "title": "title",
    "state": "state",
    "submitted": "submitted_at",
    "deadline": "decision_deadline",
}


def ranking(*, fund, call=None, sort="-score", states=None):
    """A call's (or fund's) applications with their review figures, sorted by a column.

    Returns (rows, criteria): each row is an Application annotated with mean_score, spread,
    review_count, rec_* counts, panel_* counts, active_assignments and criterion_means (dict
    criterion id -> mean score), plus `ready`. Four queries whatever the number of rows.
    """
    submitted = Q(
        assignments__review__status=Review.Status.SUBMITTED,
        assignments__status=Assignment.Status.SUBMITTED,
    )
    applications = Application.objects.filter(fund=fund, state__in=states or IN_REVIEW_STATES)
    if call is not None:
        applications = applications.filter(call=call)
    rows = applications.select_related("organization", "call").annotate(
        review_count=Count("assignments__review", filter=submitted),
        mean_score=Avg("assignments__review__weighted_score", filter=submitted),
        low_score=Min("assignments__review__weighted_score", filter=submitted),
        high_score=Max("assignments__review__weighted_score", filter=submitted),
        active_assignments=Count("assignments", filter=Q(assignments__status__in=Assignment.ACTIVE), distinct=True),
        recused=Count("assignments", filter=Q(assignments__status=Assignment.Status.RECUSED,
                                               assignments__replaced_by__isnull=True), distinct=True),
        **{
            f"rec_{value}": Count("assignments__review", filter=submitted & Q(assignments__review__recommendation=value))
            for value in Recommendation.values
        },
    )
    rows = list(rows)
    by_id = {row.pk: row for row in rows}
    criteria = list(Criterion.objects.filter(rubric__fund=fund).order_by("order", "id"))
    for row in rows:
        row.mean_score = _quantize(row.mean_score)
        row.spread = (
            None if row.low_score is None else _quantize(Decimal(row.high_score) - Decimal(row.low_score))
        )
        row.criterion_means = {}
        row.panel = None
    means = (
        Score.objects.filter(
            review__assignment__application__in=applications,
            review__status=Review.Status.SUBMITTED,
            review__assignment__status=Assignment.Status.SUBMITTED,
        )
        .values("review__assignment__application_id", "criterion_id")
        .annotate(mean=Avg("score"))
    )
    for item in means:
        row = by_id.get(item["review__assignment__application_id"])
        if row is not None:
            row.criterion_means[item["criterion_id"]] = _quantize(item["mean"])
    panel_mode = fund.is_rapid_response and Rubric.objects.filter(fund=fund, mode=Rubric.Mode.PANEL_VOTE).exists()
    if panel_mode:
        votes = {}
        for item in PanelVote.objects.filter(application__in=applications).values("application_id", "vote").annotate(n=Count("id")):
            votes.setdefault(item["application_id"], {})[item["vote"]] = item["n"]
        tie_breaks = {t.application_id: t for t in PanelTieBreak.objects.filter(application__in=applications)}
        for row in rows:
            row.panel = panel_result(
                application=row, votes=votes.get(row.pk, {}), panel_size=row.active_assignments,
                tie_break=tie_breaks.get(row.pk), fetch=False,
            )
    for row in rows:
        if panel_mode:
            row.ready = row.panel["outcome"] is not None and row.panel["cast"] >= fund.reviews_required
        else:
            row.ready = row.review_count >= fund.reviews_required
        row.criterion_mean_list = [row.criterion_means.get(c.pk) for c in criteria]
    rows.sort(key=_sort_key(sort))
    return rows, criteria


def _sort_key(sort):
    descending = sort.startswith("-")
    column = RANKING_SORTS.get(sort.lstrip("-"), "mean_score")

    def key(row):
        value = getattr(row, column)
        missing = value is None
        if column == "mean_score" and row.panel is not None:
            value = row.panel["fund"] - row.panel["do_not_fund"]
            missing = row.panel["cast"] == 0
        if isinstance(value, str):
            value = value.lower()
        # Rows without a value always go last, whichever way the column is sorted.
        if missing:
            return (1, 0, row.pk)
        if descending:
            return (0, _Reversed(value), row.pk)
        return (0, value, row.pk)

    return key


class _Reversed:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return other.value < self.value

    def __eq__(self, other):
        return other.value == self.value


def fund_review_counts(*, funds):
    """Per fund and call: applications in review, assignments open, reviews submitted, ready."""
    return (
        Application.objects.filter(fund__in=funds, state__in=IN_REVIEW_STATES)
        .values("fund_id", "call_id")
        .annotate(
            applications=Count("id", distinct=True),
            open_assignments=Count("assignments", filter=Q(assignments__status__in=Assignment.OPEN), distinct=True),
            recusals=Count("assignments", filter=Q(assignments__status=Assignment.Status.RECUSED,
                                                   assignments__replaced_by__isnull=True), distinct=True),
            submitted=Count("assignments", filter=Q(assignments__status=Assignment.Status.SUBMITTED), distinct=True),
        )
    )
