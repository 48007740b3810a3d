"""Reads about reviews that views, exports and the approval service share.

Per-application numbers come from the database in a fixed number of queries however many
applications a call holds (the ranking and the reviewer queue are checked for that).
"""
from decimal import Decimal

from django.db.models import (
    Avg,
    BooleanField,
    CharField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Lower

from applications.models import Application, State
from fundops.models import Fund

from .models import Assignment, ConflictDeclaration, PanelTieBreak, PanelVote, Recommendation, Review, Rubric, Score

IN_REVIEW_STATES = [State.IN_REVIEW, State.INFO_REQUESTED]
HUNDREDTH = Decimal("0.01")


def rubric_current(*, fund, call=None):
    """The current (highest) version of the fund's own rubric, or of the call's when `call` is given
    (None when that one has none: rubric_for falls back to the fund's)."""
    rubrics = Rubric.objects.filter(call=call) if call is not None else Rubric.objects.filter(fund=fund, call=None)
    return rubrics.order_by("-version").first()


def rubric_for(*, application):
    """The rubric an application is judged by now: its call's current rubric, else its fund's."""
    rubric = None
    if application.call_id:
        rubric = Rubric.objects.filter(call_id=application.call_id).order_by("-version").first()
    return rubric or Rubric.objects.filter(fund_id=application.fund_id, call=None).order_by("-version").first()


def rubric_for_review(*, assignment, review=None):
    """The rubric a review is scored against: the version it was first scored on (kept when a
    newer version appears, so its scores stay readable), else the application's current rubric."""
    if review is not None:
        if review.rubric_id and (review.status == Review.Status.SUBMITTED or review.scores.exists()):
            return review.rubric
        if review.rubric_id is None:  # a review written before rubrics had versions
            scored = review.scores.select_related("criterion__rubric").first()
            if scored is not None:
                return scored.criterion.rubric
    return rubric_for(application=assignment.application)


def rubric_of_call(*, fund, call=None):
    """The rubric a call's (or, without a call, the fund's) applications are judged by now."""
    return (rubric_current(fund=fund, call=call) if call is not None else None) or rubric_current(fund=fund)


def current_rubrics(*, funds):
    """{(fund id, call id or None): current rubric} for these funds, in one query."""
    current = {}
    for rubric in Rubric.objects.filter(fund__in=funds).order_by("fund_id", "call_id", "version"):
        current[(rubric.fund_id, rubric.call_id)] = rubric
    return current


def rubric_mode_of(prefix=""):
    """A SQL expression: the mode of the rubric an application of the outer query is judged by
    now, as rubric_for chooses it ("" when none is set up). `prefix` reaches the application from
    a related row ("application__" from an assignment)."""
    call_rubric = Rubric.objects.filter(call=OuterRef(f"{prefix}call")).order_by("-version").values("mode")[:1]
    fund_rubric = Rubric.objects.filter(fund=OuterRef(f"{prefix}fund"), call=None).order_by("-version").values("mode")[:1]
    # "" rather than NULL when there is none, so that `~Q(rubric_mode=…)` holds for it in SQL too.
    return Coalesce(Subquery(call_rubric), Subquery(fund_rubric), Value(""), output_field=CharField())


def _is_panel(application):
    rubric = rubric_for(application=application)
    return application.fund.is_rapid_response and rubric is not None and rubric.is_panel


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
    if _is_panel(application):
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
    panel = panel_result(application=application) if _is_panel(application) else None
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
    applications have one), then by the reviewer's own due date. `rubric_mode` says whether each
    is scored or voted on."""
    return (
        Assignment.objects.filter(reviewer=reviewer, status__in=Assignment.OPEN)
        .select_related("application__fund", "application__organization", "application__call", "review")
        .annotate(rubric_mode=rubric_mode_of("application__"))
        .order_by(F("application__decision_deadline").asc(nulls_last=True), Coalesce("due_at", "assigned_at"), "id")
    )


def reviewer_submitted(*, reviewer):
    return (
        Assignment.objects.filter(reviewer=reviewer, status=Assignment.Status.SUBMITTED)
        .select_related("application__fund", "application__call", "review")
        .order_by(F("review__submitted_at").desc(nulls_last=True), "-id")
    )


def reviewer_assignment(*, reviewer, pk):
    """The reviewer's own assignment, or None (views answer 404: nothing about it leaks)."""
    return (
        Assignment.objects.filter(reviewer=reviewer, pk=pk)
        .select_related("application__fund", "application__organization", "application__call",
                        "application__questionnaire")
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


# The ranking ------------------------------------------------------------------------------
# Scores, sorting and the page are all the database's: the rows are plain values (no model
# instances), one page of them at a time, in a fixed number of queries whatever N is.

RANKING_SORTS = {
    "score": "sort_score",
    "spread": "spread",
    "count": "review_count",
    "fund": "rec_fund",
    "maybe": "rec_maybe",
    "do_not_fund": "rec_do_not_fund",
    "title": "title_key",
    "state": "state",
    "submitted": "submitted_at",
    "deadline": "decision_deadline",
}
RANKING_COLUMNS = [
    "pk", "title", "state", "submitted_at", "decision_deadline", "call_id", "call__name", "organization__name",
    "organization__at_risk", "mean_score", "spread", "review_count", "rec_fund", "rec_maybe", "rec_do_not_fund",
    "active_assignments", "recused", "panel_fund", "panel_against", "ready",
]


def _count_of(queryset, group):
    """A correlated COUNT(*) of `queryset` (filtered on the outer application) as an integer column."""
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _submitted_reviews(here):
    return Review.objects.filter(
        assignment__application=here, status=Review.Status.SUBMITTED, assignment__status=Assignment.Status.SUBMITTED,
    )


def _review_figure(here, function):
    figure = (
        _submitted_reviews(here).order_by().values("assignment__application")
        .annotate(v=function("weighted_score")).values("v")
    )
    return Subquery(figure, output_field=DecimalField(max_digits=7, decimal_places=4))


def ranking_queryset(*, fund, call=None, states=None, search="", panel=False, sort="-score", applications=None):
    """A fund's (or call's) applications in review with their review figures, sorted by a column
    (missing values last whichever way, then by id), as `.values()` of the columns the page shows.

    `panel`: the score column is the panel's margin (votes to fund minus votes not to fund).
    `ready` follows the rule of selectors.application_ready_for_decision, per application.
    `applications`: a base queryset already narrowed (the page's filters) instead of fund/states.
    """
    here = OuterRef("pk")
    if applications is None:
        applications = Application.objects.filter(fund=fund, state__in=states or IN_REVIEW_STATES)
    else:
        applications = applications.filter(fund=fund)
    if call is not None:
        applications = applications.filter(call=call)
    search = (search or "").strip()
    if search:
        number = search.lstrip("#")
        matches = Q(title__icontains=search)
        if number.isdigit():
            matches |= Q(pk=int(number))
        applications = applications.filter(matches)
    rows = applications.annotate(
        review_count=_count_of(_submitted_reviews(here), "assignment__application"),
        mean_score=_review_figure(here, Avg),
        low_score=_review_figure(here, Min),
        high_score=_review_figure(here, Max),
        **{
            f"rec_{value}": _count_of(_submitted_reviews(here).filter(recommendation=value), "assignment__application")
            for value in Recommendation.values
        },
        active_assignments=_count_of(Assignment.objects.filter(application=here, status__in=Assignment.ACTIVE), "application"),
        recused=_count_of(Assignment.objects.filter(application=here, status=Assignment.Status.RECUSED,
                                                    replaced_by__isnull=True), "application"),
        panel_fund=_count_of(PanelVote.objects.filter(application=here, vote=PanelVote.Vote.FUND), "application"),
        panel_against=_count_of(PanelVote.objects.filter(application=here, vote=PanelVote.Vote.DO_NOT_FUND), "application"),
        tie_broken=Exists(PanelTieBreak.objects.filter(application=here)),
        title_key=Lower("title"),
    ).annotate(
        spread=F("high_score") - F("low_score"),
        panel_cast=F("panel_fund") + F("panel_against"),
    ).annotate(
        panel_size=Greatest(F("active_assignments"), F("panel_cast")),
        double_fund=F("panel_fund") * 2,
        double_against=F("panel_against") * 2,
    ).annotate(
        ready=Case(
            When(_panel_ready_condition(_panel_rubric_of(fund)), then=Value(True)),
            default=Value(False), output_field=BooleanField(),
        ),
        sort_score=(
            Case(When(panel_cast__gt=0, then=F("panel_fund") - F("panel_against")), default=None,
                 output_field=IntegerField())
            if panel else F("mean_score")
        ),
    )
    descending = sort.startswith("-")
    column = RANKING_SORTS.get(sort.lstrip("-"), "sort_score")
    order = F(column).desc(nulls_last=True) if descending else F(column).asc(nulls_last=True)
    return rows.order_by(order, "pk").values(*RANKING_COLUMNS)


def _panel_rubric_of(fund):
    """Which of the fund's applications are judged by a panel vote, decided once in Python from its
    few rubrics (as rubric_mode_of decides per row: the call's latest rubric, else the fund's,
    else none) instead of by two subqueries per application: False (none), True (all), or a Q on
    the call (benchmarks/bench_pages.py: the ranking's count of ready applications)."""
    if fund.kind != Fund.Kind.RAPID_RESPONSE:
        return False
    call_modes, fund_mode = {}, ""
    # Ascending versions: the latest of each call (and of the fund's own) is the one kept.
    for call_id, mode in (Rubric.objects.filter(Q(call__fund=fund) | Q(fund=fund, call=None))
                          .order_by("version").values_list("call_id", "mode")):
        if call_id is None:
            fund_mode = mode
        else:
            call_modes[call_id] = mode
    panel = Rubric.Mode.PANEL_VOTE
    panel_calls = [call_id for call_id, mode in call_modes.items() if mode == panel]
    other_calls = [call_id for call_id, mode in call_modes.items() if mode != panel]
    if fund_mode == panel:
        # Every call without a rubric of its own (and no call at all) follows the fund's.
        return ~Q(call_id__in=other_calls) if other_calls else True
    return Q(call_id__in=panel_calls) if panel_calls else False


def _panel_ready_condition(panel_rubric):
    """Ready for decision: a panel-vote rapid-response application with a certain majority (or a
    tie broken) and enough votes; any other with the fund's required reviews submitted.
    `panel_rubric` is _panel_rubric_of(fund): False, True or a Q."""
    decided = Q(panel_size__gt=0) & (
        Q(double_fund__gt=F("panel_size")) | Q(double_against__gt=F("panel_size"))
        | (Q(panel_cast=F("panel_size")) & Q(panel_fund=F("panel_against")) & Q(tie_broken=True))
    )
    panel_ready = decided & Q(panel_cast__gte=F("fund__reviews_required"))
    reviews_ready = Q(review_count__gte=F("fund__reviews_required"))
    if panel_rubric is True:
        return panel_ready
    if panel_rubric is False:
        return reviews_ready
    return (panel_rubric & panel_ready) | (~panel_rubric & reviews_ready)


class RankingRow:
    """One row of the ranking: the values of ranking_queryset plus its criterion means and panel
    result, with the attribute names templates and the decision clock read."""

    def __init__(self, values, *, panel):
        self.__dict__.update(values)
        self.mean_score = _quantize(self.mean_score)
        self.spread = _quantize(self.spread)
        self.call_name = values["call__name"] or ""
        self.organization_name = values["organization__name"]
        self.organization_at_risk = values["organization__at_risk"]
        self.criterion_mean_list = []
        self.panel = None
        if panel:
            votes = {PanelVote.Vote.FUND: self.panel_fund, PanelVote.Vote.DO_NOT_FUND: self.panel_against}
            self.panel = panel_result(application=None, votes=votes, panel_size=self.active_assignments,
                                      tie_break=None, fetch=False)

    def get_state_display(self):
        return State(self.state).label


def ranking_rubric(*, fund, call=None):
    """The rubric whose criteria head the ranking's columns, and whether it is a panel vote."""
    rubric = rubric_of_call(fund=fund, call=call)
    panel = fund.is_rapid_response and rubric is not None and rubric.is_panel
    criteria = list(rubric.criteria.order_by("order", "id")) if rubric is not None and not panel else []
    return rubric, criteria, panel


def ranking_rows(values, *, criteria, panel):
    """RankingRow objects for a page (or a chunk) of ranking_queryset values: the criterion means
    and tie-breaks in one query each for all of them. A criterion's column averages the scores of
    criteria with its title and maximum, so a criterion carried unchanged to a new rubric version
    keeps one column."""
    rows = [RankingRow(v, panel=panel) for v in values]
    ids = [row.pk for row in rows]
    if not ids:
        return rows
    if criteria:
        columns = {(c.title, c.max_score): index for index, c in enumerate(criteria)}
        means = {}
        for item in (
            Score.objects.filter(review__assignment__application_id__in=ids, review__status=Review.Status.SUBMITTED,
                                 review__assignment__status=Assignment.Status.SUBMITTED)
            .values("review__assignment__application_id", "criterion__title", "criterion__max_score")
            .annotate(mean=Avg("score")).order_by()
        ):
            index = columns.get((item["criterion__title"], item["criterion__max_score"]))
            if index is not None:
                means[(item["review__assignment__application_id"], index)] = _quantize(item["mean"])
        for row in rows:
            row.criterion_mean_list = [means.get((row.pk, index)) for index in range(len(criteria))]
    if panel:
        tie_breaks = {t.application_id: t for t in PanelTieBreak.objects.filter(application_id__in=ids)}
        for row in rows:
            if row.pk in tie_breaks:
                votes = {PanelVote.Vote.FUND: row.panel_fund, PanelVote.Vote.DO_NOT_FUND: row.panel_against}
                row.panel = panel_result(application=None, votes=votes, panel_size=row.active_assignments,
                                         tie_break=tie_breaks[row.pk], fetch=False)
    return rows


def iter_ranking_rows(values, *, criteria, panel, chunk_size=2000):
    """RankingRows for every value of a ranking queryset, a chunk at a time (exports stream)."""
    chunk = []
    for item in values.iterator(chunk_size=chunk_size):
        chunk.append(item)
        if len(chunk) == chunk_size:
            yield from ranking_rows(chunk, criteria=criteria, panel=panel)
            chunk = []
    yield from ranking_rows(chunk, criteria=criteria, panel=panel)


def ranking(*, fund, call=None, sort="-score", states=None, search="", applications=None):
    """Every row of the ranking as a list, with the criteria heading its columns: (rows, criteria).
    Pages page ranking_queryset instead; exports stream iter_ranking_rows."""
    _, criteria, panel = ranking_rubric(fund=fund, call=call)
    values = ranking_queryset(fund=fund, call=call, states=states, search=search, panel=panel, sort=sort,
                              applications=applications)
    return list(iter_ranking_rows(values, criteria=criteria, panel=panel)), criteria


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
