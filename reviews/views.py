"""The reviewer workspace (queue, conflict prompt, scoring, submitted reviews, panel votes) and
the program officer's review pages (calls, assignment, ranking and its export, reopening)."""
import csv
import dataclasses
import io
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from applications.models import Application
from applications.selectors import by_urgency
from fundops import roles
from fundops.disclosure import public_organization_name
from fundops.models import Call, Fund
from fundops.questionnaires.answers import answer_rows, answers_for
from fundops.questionnaires.models import Question
from fundops.spreadsheets import safe_cell

from applications.todo import BY_DEADLINE

from . import selectors, services, todo
from .filters import QueueFilter, RankingFilter
from .forms import AssignForm, DeclarationForm, PanelVoteForm, ReopenForm, ScoreForm, TieBreakForm, add_errors
from .models import Assignment, Review, StandingConflict

reviewer_required = roles.role_required(roles.REVIEWER)
officer_required = roles.role_required(roles.PROGRAM_OFFICER)


# The reviewer's workspace ----------------------------------------------------------------


QUEUE_PAGE_SIZE = 50


def _query_without(request, *names):
    """The page's GET parameters without `names`, for links that change one of them."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@reviewer_required
def queue(request):
    mine = selectors.reviewer_queue(reviewer=request.user)
    counts = mine.order_by().aggregate(
        to_declare=Count("pk", filter=Q(status=Assignment.Status.PENDING)),
        to_score=Count("pk", filter=Q(status=Assignment.Status.NO_CONFLICT)),
    )
    filters = QueueFilter(request.GET or None, queryset=mine, reviewer=request.user)
    page = Paginator(filters.qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    assignments = list(page.object_list)
    now = timezone.now()
    for assignment in assignments:
        assignment.overdue = assignment.due_at is not None and assignment.due_at < now
    return render(request, "reviews/queue.html", {
        "assignments": assignments,
        "page": page,
        "filters": filters,
        "page_query": _query_without(request, "page"),
        "to_declare": counts["to_declare"],
        "to_score": counts["to_score"],
        "submitted_count": Assignment.objects.filter(reviewer=request.user, status=Assignment.Status.SUBMITTED).count(),
    })


def _own_assignment_or_404(request, pk):
    assignment = selectors.reviewer_assignment(reviewer=request.user, pk=pk)
    if assignment is None or assignment.status in (Assignment.Status.RECUSED, Assignment.Status.CANCELLED):
        # Unassigned, recused or cancelled: the application does not exist as far as this reviewer knows.
        raise Http404("No such assignment.")
    return assignment


@reviewer_required
def declare(request, pk):
    assignment = _own_assignment_or_404(request, pk)
    if assignment.status != Assignment.Status.PENDING:
        return redirect("reviews:score", pk=assignment.pk)
    form = DeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.conflict_declare(
                assignment=assignment, by=request.user,
                has_conflict=form.cleaned_data["has_conflict"], reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            if form.cleaned_data["has_conflict"]:
                messages.success(request, "Thank you. You have stepped aside from this application; the program officer will assign someone else.")
                return redirect("reviews:queue")
            messages.success(request, "Thank you. You declared no conflict of interest; the application is open to you.")
            return redirect("reviews:score", pk=assignment.pk)
    return render(request, "reviews/declare.html", {"assignment": assignment, "application": assignment.application, "form": form})


def _score_form_initial(review):
    if review is None:
        return {}
    initial = {"recommendation": review.recommendation, "comment": review.comment}
    for score in review.scores.all():
        initial[f"score_{score.criterion_id}"] = score.score
        initial[f"comment_{score.criterion_id}"] = score.comment
    return initial


@reviewer_required
def score(request, pk):
    assignment = _own_assignment_or_404(request, pk)
    if assignment.status == Assignment.Status.PENDING:
        messages.info(request, "First, declare whether you have a conflict of interest.")
        return redirect("reviews:declare", pk=assignment.pk)
    application = assignment.application
    review = Review.objects.filter(assignment=assignment).select_related("rubric").prefetch_related("scores__criterion").first()
    # The version this review is scored against: a newer version leaves a begun review on its own.
    rubric = selectors.rubric_for_review(assignment=assignment, review=review)
    criteria = list(rubric.criteria.all()) if rubric else []
    submitted = assignment.status == Assignment.Status.SUBMITTED
    form = vote_form = None
    if rubric and rubric.is_panel:
        vote_form = None if submitted else PanelVoteForm()
    elif not submitted:
        form = ScoreForm(request.POST or None, criteria=criteria, initial=_score_form_initial(review))
        if request.method == "POST" and form.is_valid():
            action = services.review_submit if "submit" in request.POST else services.review_save_draft
            try:
                action(assignment=assignment, by=request.user, **form.review_data())
            except ValidationError as error:
                add_errors(form, error)
            else:
                if action is services.review_submit:
                    messages.success(request, "Your review is submitted. You can now see the other reviews.")
                else:
                    messages.success(request, "Draft saved. Nothing is shared until you submit.")
                return redirect("reviews:score", pk=assignment.pk)
    context = {
        "assignment": assignment,
        "application": application,
        "blind": application.fund.blind_review,
        "rubric": rubric,
        "criteria": criteria,
        "form": form,
        "vote_form": vote_form,
        "review": review,
        "submitted": submitted,
        "own_vote": application.panel_votes.filter(member=request.user).first() if rubric and rubric.is_panel else None,
        "other_reviews": list(selectors.reviews_visible_to_reviewer(assignment=assignment)),
        "other_votes": list(application.panel_votes.exclude(member=request.user).select_related("member")) if submitted else [],
        "attachments": selectors.reviewer_documents(assignment=assignment),
        "documents_withheld": selectors.documents_withheld_from_reviewers(application),
        "answers": _answers_for_reviewer(application),
    }
    return render(request, "reviews/score.html", context)


WITHHELD_FILE = gettext_lazy("Withheld: this fund reviews blind.")


def _answers_for_reviewer(application):
    """The answers to the call's own questions, read through fundops.questionnaires.answers. On a
    blind fund files are withheld like the other documents (they can name the organisation)."""
    rows = answer_rows(application.questionnaire, application.answers)
    if selectors.documents_withheld_from_reviewers(application):
        rows = [dataclasses.replace(row, value=None, display=str(WITHHELD_FILE)) if row.kind == Question.Kind.FILE else row
                for row in rows]
    return rows


@reviewer_required
@require_POST
def panel_vote(request, pk):
    assignment = _own_assignment_or_404(request, pk)
    form = PanelVoteForm(request.POST)
    if form.is_valid():
        try:
            services.panel_vote_cast(assignment=assignment, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "Your vote is recorded.")
    else:
        messages.error(request, "Choose fund or do not fund.")
    return redirect("reviews:score", pk=assignment.pk)


@reviewer_required
def submitted(request):
    page = Paginator(selectors.reviewer_submitted(reviewer=request.user), QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "reviews/submitted.html", {"assignments": page.object_list, "page": page})


# The program officer's pages --------------------------------------------------------------


def _fund_and_call(request, slug):
    fund = get_object_or_404(Fund, slug=slug)
    call = None
    if request.GET.get("call"):
        call = get_object_or_404(Call, fund=fund, pk=request.GET["call"]) if request.GET["call"].isdigit() else None
        if call is None:
            raise Http404("No such call.")
    return fund, call


@officer_required
def calls(request):
    funds = list(Fund.objects.prefetch_related("calls").order_by("name"))
    counts = {}
    for row in selectors.fund_review_counts(funds=funds):
        counts[(row["fund_id"], row["call_id"])] = row
    rubrics = selectors.current_rubrics(funds=funds)
    blocks = []
    for fund in funds:
        rows = []
        for call in [*fund.calls.all(), None]:
            figures = counts.get((fund.pk, call.pk if call else None))
            if call is None and figures is None:
                continue
            rows.append({"call": call, "figures": figures or {}, "own_rubric": rubrics.get((fund.pk, call.pk)) if call else None})
        total = {key: sum((r["figures"].get(key) or 0) for r in rows)
                 for key in ("applications", "open_assignments", "recusals", "submitted")}
        blocks.append({"fund": fund, "rows": rows, "total": total, "rubric": rubrics.get((fund.pk, None))})
    return render(request, "reviews/calls.html", {"blocks": blocks})


@officer_required
@require_safe
def ready(request):
    """Applications whose reviews are in, nearest decision deadline first, each with Approve beside it."""
    applications = todo.ready_for_decision().select_related("organization", "fund").order_by(*BY_DEADLINE)
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    return render(request, "reviews/ready.html", {"page": page, "applications": page.object_list})


@officer_required
def assign(request, slug):
    fund, call = _fund_and_call(request, slug)
    here = reverse("reviews:assign", args=[fund.slug]) + (f"?call={call.pk}" if call else "")
    if request.method == "POST" and "auto" in request.POST:
        try:
            created = services.assignments_auto(fund=fund, call=call, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            if created:
                messages.success(request, f"{len(created)} assignment{'s' if len(created) != 1 else ''} made, spread evenly over the reviewer pool.")
            else:
                messages.info(request, "Every application in review already has its reviewers.")
        return redirect(here)
    applications = Application.objects.filter(fund=fund, state__in=selectors.IN_REVIEW_STATES)
    if call:
        applications = applications.filter(call=call)
    applications = applications.select_related("organization", "call").annotate(
        active=Count("assignments", filter=Q(assignments__status__in=Assignment.ACTIVE))
    )
    applications = by_urgency(applications)
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    page_apps = list(page.object_list)
    assignments = (
        Assignment.objects.filter(application__in=[a.pk for a in page_apps])
        .select_related("reviewer")
        .order_by("assigned_at", "pk")
    )
    by_app = {}
    for a in assignments:
        by_app.setdefault(a.application_id, []).append(a)
    for app in page_apps:
        app.review_assignments = by_app.get(app.pk, [])
        app.short = max(0, fund.reviews_required - app.active)
    recusals = (
        Assignment.objects.filter(application__fund=fund, status=Assignment.Status.RECUSED, replaced_by__isnull=True,
                                  application__state__in=selectors.IN_REVIEW_STATES)
        .select_related("application", "reviewer")
        .prefetch_related("declarations")
    )
    if call:
        recusals = recusals.filter(application__call=call)
    pool = services.reviewer_pool(fund=fund).annotate(
        load=Count("review_assignments", filter=Q(review_assignments__application__fund=fund,
                                                  review_assignments__status__in=Assignment.ACTIVE))
    )
    return render(request, "reviews/assign.html", {
        "fund": fund, "call": call, "page": page, "applications": page_apps,
        "recusals": list(recusals), "pool": list(pool),
        "unassigned": applications.filter(active__lt=fund.reviews_required).count(),
        "call_query": f"call={call.pk}&" if call else "",
    })


def _eligible_reviewers(application, fund):
    taken = Assignment.objects.filter(application=application).values("reviewer_id")
    conflicted = StandingConflict.objects.filter(organization_id=application.organization_id).values("reviewer_id")
    reviewers = services.reviewer_pool(fund=fund).exclude(pk__in=taken).exclude(pk__in=conflicted)
    return reviewers.exclude(organization_id=application.organization_id).annotate(
        load=Count("review_assignments", filter=Q(review_assignments__status__in=Assignment.OPEN))
    ).order_by("load", "last_name", "first_name")


@officer_required
def assign_application(request, pk):
    application = get_object_or_404(Application.objects.select_related("fund", "organization", "call"), pk=pk)
    fund = application.fund
    here = reverse("reviews:assign_application", args=[application.pk])
    reviewers = _eligible_reviewers(application, fund)
    assign_form = AssignForm(reviewers=reviewers)
    tie_form = TieBreakForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("assign", "replace"):
                assign_form = AssignForm(request.POST, reviewers=reviewers)
                if assign_form.is_valid():
                    reviewer = assign_form.cleaned_data["reviewer"]
                    if action == "replace":
                        recused = get_object_or_404(Assignment, pk=request.POST.get("assignment"), application=application)
                        services.assignment_replace(assignment=recused, reviewer=reviewer, by=request.user)
                        messages.success(request, f"{reviewer} replaces {recused.reviewer}.")
                    else:
                        services.assignment_create(application=application, reviewer=reviewer, by=request.user)
                        messages.success(request, f"{reviewer} is assigned.")
                    return redirect(here)
            elif action == "cancel":
                target = get_object_or_404(Assignment, pk=request.POST.get("assignment"), application=application)
                services.assignment_cancel(assignment=target, by=request.user)
                messages.success(request, f"The assignment of {target.reviewer} is cancelled.")
                return redirect(here)
            elif action == "tie_break":
                tie_form = TieBreakForm(request.POST)
                if tie_form.is_valid():
                    services.panel_tie_break(application=application, by=request.user, **tie_form.cleaned_data)
                    messages.success(request, "Your casting decision is recorded.")
                    return redirect(here)
        except ValidationError as error:
            form = tie_form if action == "tie_break" else assign_form
            if action == "cancel":
                messages.error(request, " ".join(error.messages))
                return redirect(here)
            add_errors(form, error)
    summary = selectors.application_review_summary(application=application)
    assignments = list(selectors.application_assignments(application=application))
    votes = {vote.member_id: vote for vote in application.panel_votes.all()}
    for assignment in assignments:
        assignment.panel_vote = votes.get(assignment.reviewer_id)
    return render(request, "reviews/assign_application.html", {
        "application": application,
        "fund": fund,
        "assignments": assignments,
        "assign_form": assign_form,
        "tie_form": tie_form,
        "reopen_form": ReopenForm(),
        "summary": summary,
        "rubric": selectors.rubric_for(application=application),
        "in_review": application.state in selectors.IN_REVIEW_STATES,
        "staff_detail_url": _maybe_reverse("applications:review_detail", application.pk),
    })


def _maybe_reverse(name, *args):
    try:
        return reverse(name, args=args)
    except Exception:
        return None


SORT_COLUMNS = [
    ("title", gettext_lazy("Application")),
    ("state", gettext_lazy("State")),
    ("score", gettext_lazy("Weighted score")),
    ("spread", gettext_lazy("Spread")),
    ("count", gettext_lazy("Reviews")),
    ("fund", gettext_lazy("Fund")),
    ("maybe", gettext_lazy("Maybe")),
    ("do_not_fund", gettext_lazy("No")),
    ("submitted", gettext_lazy("Submitted")),
]
RANKING_PAGE_SIZE = 100


def _ranking_filters(request, fund):
    base = Application.objects.filter(fund=fund, state__in=selectors.IN_REVIEW_STATES)
    filters = RankingFilter(request.GET or None, queryset=base, fund=fund)
    if filters.is_bound and not filters.is_valid():
        raise Http404(_("No such call or state."))
    call = filters.form.cleaned_data.get("call") if filters.is_bound else None
    return filters, call


@officer_required
def ranking(request, slug):
    """A call's (or fund's) applications in review, ranked by their reviews: scores, sorting and the
    page come from the database (selectors.ranking_queryset), one page of plain values at a time."""
    fund = get_object_or_404(Fund, slug=slug)
    filters, call = _ranking_filters(request, fund)
    sort = request.GET.get("sort") or "-score"
    rubric, criteria, panel = selectors.ranking_rubric(fund=fund, call=call)
    values = selectors.ranking_queryset(fund=fund, call=call, panel=panel, sort=sort, applications=filters.qs)
    page = Paginator(values, RANKING_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = selectors.ranking_rows(list(page.object_list), criteria=criteria, panel=panel)
    columns = {}
    for key, label in SORT_COLUMNS:
        if panel and key == "score":
            label = gettext_lazy("Margin")
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        columns[key] = {
            "key": key, "label": label, "current": current,
            "arrow": ("▼" if descending else "▲") if current else "",
            "next": (key if current and descending else f"-{key}"),
        }
    return render(request, "reviews/ranking.html", {
        "fund": fund, "call": call, "rubric": rubric, "page": page, "rows": rows, "criteria": criteria,
        "columns": columns, "sort": sort, "panel": panel, "filters": filters,
        # Sorting links keep the filters; paging links keep the filters and the sort.
        "filter_query": _query_without(request, "sort", "page"),
        "page_query": _query_without(request, "page"),
        "export_query": _query_without(request, "page", "format"),
        "ready_count": values.filter(ready=True).count(), "total": page.paginator.count,
    })


FILE_IN_EXPORT = gettext_lazy("(file attached)")


class _AnswerColumns:
    """The answers to the call's own questions as export columns: one per question key (a key keeps
    its column across versions of a form; its label is the newest version's), headings left out,
    files given as "(file attached)" only (names of files can name the organisation)."""

    def __init__(self, applications):
        questionnaire_ids = list(
            applications.exclude(questionnaire__isnull=True).order_by().values_list("questionnaire_id", flat=True).distinct()
        )
        self.labels = {}
        questions = (
            Question.objects.filter(questionnaire_id__in=questionnaire_ids)
            .exclude(kind=Question.Kind.HEADING)
            .order_by("-questionnaire__version", "questionnaire_id", "order", "id")
            .values_list("key", "label")
        )
        for key, label in questions:
            self.labels.setdefault(key, label)

    def headings(self):
        return [_("Answer: %(question)s") % {"question": label} for label in self.labels.values()]

    def cells(self, answer_rows_of_one):
        shown = {row.key: (str(FILE_IN_EXPORT) if row.kind == Question.Kind.FILE and row.value else row.display)
                 for row in answer_rows_of_one}
        return [shown.get(key, "") for key in self.labels]


def _export_records(*, fund, call, sort, applications):
    """The header, then one list of cells per row of the ranking, streamed a chunk at a time."""
    _rubric, criteria, panel = selectors.ranking_rubric(fund=fund, call=call)
    values = selectors.ranking_queryset(fund=fund, call=call, panel=panel, sort=sort, applications=applications)
    answers = _AnswerColumns(applications.filter(call=call) if call else applications)
    header = [_("Rank"), _("Application"), _("Title"), _("Organisation"), _("Call"), _("State"),
              _("Weighted score (0-100)"), _("Spread"), _("Reviews submitted"), _("Recommend fund"),
              _("Recommend maybe"), _("Recommend do not fund")]
    header += [_("%(title)s (mean of %(max)s)") % {"title": c.title, "max": c.max_score} for c in criteria]
    if panel:
        header += [_("Panel: fund"), _("Panel: do not fund"), _("Panel result")]
    header += [_("Ready for decision"), *answers.headings()]
    yield header
    rank = 0
    rows = selectors.iter_ranking_rows(values, criteria=criteria, panel=panel, chunk_size=1000)
    chunk = []

    def flush(chunk):
        stored = Application.objects.filter(pk__in=[row.pk for row in chunk]).values("pk", "questionnaire_id", "answers")
        rows_by_pk = answers_for([SimpleNamespace(**item) for item in stored])
        for row in chunk:
            yield _export_cells(row, rank_of[row.pk], criteria, panel) + answers.cells(rows_by_pk.get(row.pk, []))

    rank_of = {}
    for row in rows:
        rank += 1
        rank_of[row.pk] = rank
        chunk.append(row)
        if len(chunk) == 1000:
            yield from flush(chunk)
            chunk, rank_of = [], {}
    yield from flush(chunk)


def _export_cells(row, rank, criteria, panel):
    cells = [
        rank, row.pk, row.title,
        # Files leave the system: at-risk organisations are never named in them (fundops.disclosure).
        public_organization_name(SimpleNamespace(name=row.organization_name, at_risk=row.organization_at_risk)),
        row.call_name, row.get_state_display(), row.mean_score, row.spread, row.review_count,
        row.rec_fund, row.rec_maybe, row.rec_do_not_fund, *row.criterion_mean_list,
    ]
    if panel:
        cells += [row.panel["fund"], row.panel["do_not_fund"], row.panel["outcome"] or ("tie" if row.panel["tie"] else "")]
    cells.append(_("yes") if row.ready else _("no"))
    return cells


class _Echo:
    def write(self, value):
        return value


@officer_required
def ranking_export(request, slug):
    """The ranking (with the filters and sort of the page, every page) as CSV or XLSX, streamed;
    every cell through fundops.spreadsheets.safe_cell (titles and answers are typed by applicants)."""
    fund = get_object_or_404(Fund, slug=slug)
    export_format = request.GET.get("format", "csv")
    if export_format not in ("csv", "xlsx"):
        raise Http404(_("Export as csv or xlsx."))
    filters, call = _ranking_filters(request, fund)
    records = _export_records(fund=fund, call=call, sort=request.GET.get("sort") or "-score", applications=filters.qs)
    name = f"ranking-{fund.slug}{'-' + call.slug if call else ''}"
    if export_format == "csv":
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow([safe_cell(cell) for cell in record]) for record in records),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    from openpyxl import Workbook  # imported here: the URLconf loads without it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Ranking"))
    for record in records:
        sheet.append([safe_cell(cell) for cell in record])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@officer_required
@require_POST
def reopen(request, pk):
    review = get_object_or_404(Review.objects.select_related("assignment__reviewer"), pk=pk)
    form = ReopenForm(request.POST)
    destination = reverse("reviews:assign_application", args=[review.assignment.application_id])
    if not form.is_valid():
        messages.error(request, "Say why the review is reopened.")
        return redirect(destination)
    try:
        services.review_reopen(review=review, by=request.user, reason=form.cleaned_data["reason"])
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, f"The review by {review.assignment.reviewer} is reopened for changes.")
    return redirect(destination)
