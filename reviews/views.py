"""The reviewer workspace (queue, conflict prompt, scoring, submitted reviews, panel votes) and
the program officer's review pages (calls, assignment, ranking and its export, reopening)."""
import io

import pandas as pd
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from applications.models import Application
from applications.selectors import by_urgency
from fundops import roles
from fundops.disclosure import public_organization_name
from fundops.models import Call, Fund
from fundops.spreadsheets import safe_frame

from applications.todo import BY_DEADLINE

from . import selectors, services, todo
from .forms import AssignForm, DeclarationForm, PanelVoteForm, ReopenForm, ScoreForm, TieBreakForm, add_errors
from .models import Assignment, Review, StandingConflict

reviewer_required = roles.role_required(roles.REVIEWER)
officer_required = roles.role_required(roles.PROGRAM_OFFICER)


# The reviewer's workspace ----------------------------------------------------------------


@reviewer_required
def queue(request):
    assignments = list(selectors.reviewer_queue(reviewer=request.user))
    now = timezone.now()
    for assignment in assignments:
        assignment.overdue = assignment.due_at is not None and assignment.due_at < now
    return render(request, "reviews/queue.html", {
        "assignments": assignments,
        "to_declare": sum(1 for a in assignments if a.status == Assignment.Status.PENDING),
        "to_score": sum(1 for a in assignments if a.status == Assignment.Status.NO_CONFLICT),
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
    rubric = selectors.fund_rubric(fund=application.fund)
    criteria = list(rubric.criteria.all()) if rubric else []
    review = Review.objects.filter(assignment=assignment).prefetch_related("scores__criterion").first()
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
    }
    return render(request, "reviews/score.html", context)


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
    return render(request, "reviews/submitted.html", {"assignments": selectors.reviewer_submitted(reviewer=request.user)})


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
    funds = list(Fund.objects.prefetch_related("calls").select_related("rubric").order_by("name"))
    counts = {}
    for row in selectors.fund_review_counts(funds=funds):
        counts[(row["fund_id"], row["call_id"])] = row
    blocks = []
    for fund in funds:
        rows = []
        for call in [*fund.calls.all(), None]:
            figures = counts.get((fund.pk, call.pk if call else None))
            if call is None and figures is None:
                continue
            rows.append({"call": call, "figures": figures or {}})
        total = {key: sum((r["figures"].get(key) or 0) for r in rows)
                 for key in ("applications", "open_assignments", "recusals", "submitted")}
        blocks.append({"fund": fund, "rows": rows, "total": total, "rubric": getattr(fund, "rubric", None)})
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
        "rubric": selectors.fund_rubric(fund=fund),
        "in_review": application.state in selectors.IN_REVIEW_STATES,
        "staff_detail_url": _maybe_reverse("applications:review_detail", application.pk),
    })


def _maybe_reverse(name, *args):
    try:
        return reverse(name, args=args)
    except Exception:
        return None


SORT_COLUMNS = [
    ("title", "Application"),
    ("state", "State"),
    ("score", "Weighted score"),
    ("spread", "Spread"),
    ("count", "Reviews"),
    ("fund", "Fund"),
    ("maybe", "Maybe"),
    ("do_not_fund", "No"),
]


@officer_required
def ranking(request, slug):
    fund, call = _fund_and_call(request, slug)
    sort = request.GET.get("sort") or "-score"
    rows, criteria = selectors.ranking(fund=fund, call=call, sort=sort)
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    columns = []
    panel = bool(rows) and rows[0].panel is not None
    for key, label in SORT_COLUMNS:
        if panel and key == "score":
            label = "Margin"
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        columns.append({
            "key": key, "label": label, "current": current,
            "arrow": ("▼" if descending else "▲") if current else "",
            "next": (key if current and descending else f"-{key}"),
        })
    return render(request, "reviews/ranking.html", {
        "fund": fund, "call": call, "page": page, "rows": page.object_list, "criteria": criteria,
        "columns": {c["key"]: c for c in columns}, "sort": sort,
        "panel": panel,
        "call_query": f"call={call.pk}&" if call else "",
        "ready_count": sum(1 for r in rows if r.ready), "total": len(rows),
    })


def ranking_frame(*, fund, call=None, sort="-score"):
    """The ranking as a pandas frame with Decimal cells (object columns, never floats)."""
    rows, criteria = selectors.ranking(fund=fund, call=call, sort=sort)
    records = []
    for rank, row in enumerate(rows, start=1):
        record = {
            "Rank": rank,
            "Application": row.pk,
            "Title": row.title,
            # Files leave the system: at-risk organisations are never named in them (fundops.disclosure).
            "Organisation": public_organization_name(row.organization),
            "Call": row.call.name if row.call else "",
            "State": row.get_state_display(),
            "Weighted score (0-100)": row.mean_score,
            "Spread": row.spread,
            "Reviews submitted": row.review_count,
            "Recommend fund": row.rec_fund,
            "Recommend maybe": row.rec_maybe,
            "Recommend do not fund": row.rec_do_not_fund,
        }
        for criterion, mean in zip(criteria, row.criterion_mean_list):
            record[f"{criterion.title} (mean of {criterion.max_score})"] = mean
        if row.panel is not None:
            record["Panel: fund"] = row.panel["fund"]
            record["Panel: do not fund"] = row.panel["do_not_fund"]
            record["Panel result"] = row.panel["outcome"] or ("tie" if row.panel["tie"] else "")
        record["Ready for decision"] = "yes" if row.ready else "no"
        records.append(record)
    return pd.DataFrame.from_records(records).astype(object) if records else pd.DataFrame(columns=["Rank", "Application", "Title"])


@officer_required
def ranking_export(request, slug):
    fund, call = _fund_and_call(request, slug)
    export_format = request.GET.get("format", "csv")
    if export_format not in ("csv", "xlsx"):
        raise Http404("Export as csv or xlsx.")
    # Titles and names are typed by applicants: a cell a spreadsheet would run goes out as text.
    frame = safe_frame(ranking_frame(fund=fund, call=call, sort=request.GET.get("sort") or "-score"))
    name = f"ranking-{fund.slug}{'-' + call.slug if call else ''}"
    if export_format == "csv":
        response = HttpResponse(frame.to_csv(index=False), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="Ranking")
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
