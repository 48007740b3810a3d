"""The rubric editor for program officers (not the Django admin): how a fund's or a call's
applications are judged — scoring or panel vote, instructions, and the criteria (title, guidance,
highest score, weight, order). Each change goes through reviews/services/rubrics.py, which audits
it and refuses any change to a version already scored against; the page then offers the one way
forward, a new version."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fundops import roles
from fundops.models import Call, Fund

from . import selectors, services
from .forms import CriterionForm, RubricSettingsForm, add_errors
from .models import Criterion, Review, Rubric

officer_required = roles.role_required(roles.PROGRAM_OFFICER)


def _criterion_data(form):
    data = form.cleaned_data
    return {"title": data["title"], "guidance": data.get("guidance", ""), "max_score": data["max_score"],
            "weight": data["weight"]}


def _criterion_initial(criterion):
    return {"title": criterion.title, "guidance": criterion.guidance, "max_score": criterion.max_score,
            "weight": criterion.weight}


@officer_required
def rubric_edit(request, pk):
    rubric = get_object_or_404(Rubric.objects.select_related("fund", "call", "previous"), pk=pk)
    here = redirect("reviews:rubric_edit", pk=rubric.pk)
    current = selectors.rubric_current(fund=rubric.fund, call=rubric.call)
    scored = services.rubric_is_scored(rubric)
    settings_form = RubricSettingsForm(fund=rubric.fund, initial={"mode": rubric.mode, "instructions": rubric.instructions})
    add_form = CriterionForm(prefix="add")
    edit_form, editing = None, None
    if request.GET.get("edit", "").isdigit():
        editing = rubric.criteria.filter(pk=request.GET["edit"]).first()
        if editing is not None:
            edit_form = CriterionForm(prefix="edit", initial=_criterion_initial(editing))
    if request.method == "POST":
        action = request.POST.get("action", "")
        criterion = None
        if request.POST.get("criterion", "").isdigit():
            criterion = get_object_or_404(Criterion, pk=request.POST["criterion"], rubric=rubric)
        try:
            if action == "new_version":
                new = services.rubric_new_version(rubric=rubric, by=request.user)
                messages.success(request, _("Version %(version)s is made: new reviews use it; the scores already given "
                                            "stay with version %(old)s.") % {"version": new.version, "old": rubric.version})
                return redirect("reviews:rubric_edit", pk=new.pk)
            if action == "settings":
                settings_form = RubricSettingsForm(request.POST, fund=rubric.fund)
                if settings_form.is_valid():
                    services.rubric_update(rubric=rubric, by=request.user, **settings_form.cleaned_data)
                    messages.success(request, _("The rubric is saved."))
                    return here
            elif action == "add":
                add_form = CriterionForm(request.POST, prefix="add")
                if add_form.is_valid():
                    added = services.criterion_add(rubric=rubric, by=request.user, **_criterion_data(add_form))
                    messages.success(request, _("“%(title)s” is added.") % {"title": added.title})
                    return here
            elif action == "update" and criterion is not None:
                editing = criterion
                edit_form = CriterionForm(request.POST, prefix="edit")
                if edit_form.is_valid():
                    services.criterion_update(criterion=criterion, by=request.user, **_criterion_data(edit_form))
                    messages.success(request, _("“%(title)s” is saved.") % {"title": edit_form.cleaned_data["title"]})
                    return here
            elif action == "remove" and criterion is not None:
                services.criterion_remove(criterion=criterion, by=request.user)
                messages.success(request, _("“%(title)s” is removed.") % {"title": criterion.title})
                return here
            elif action in ("up", "down") and criterion is not None:
                services.criterion_move(criterion=criterion, by=request.user, up=action == "up")
                return here
        except services.RubricFrozen as error:
            messages.error(request, " ".join(error.messages))
            return here
        except ValidationError as error:
            form = {"settings": settings_form, "add": add_form, "update": edit_form}.get(action)
            if form is None:
                messages.error(request, " ".join(error.messages))
                return here
            add_errors(form, error)
    versions = list(
        Rubric.objects.filter(fund=rubric.fund, call=rubric.call).annotate(criteria_count=Count("criteria"))
        .order_by("-version")
    )
    reviews_count = Review.objects.filter(rubric=rubric).count()
    criteria = list(rubric.criteria.order_by("order", "id"))
    total_weight = sum(c.weight for c in criteria)
    for criterion in criteria:  # its share of the weighted score, as reviewers' scores add up
        criterion.share = round(criterion.weight / total_weight * 100) if total_weight else 0
    return render(request, "reviews/rubric_edit.html", {
        "rubric": rubric,
        "fund": rubric.fund,
        "call": rubric.call,
        "current": current,
        "is_current": current is not None and current.pk == rubric.pk,
        "scored": scored,
        "editable": not scored and current is not None and current.pk == rubric.pk,
        "criteria": criteria,
        "settings_form": settings_form,
        "add_form": add_form,
        "edit_form": edit_form,
        "editing": editing,
        "versions": versions,
        "reviews_count": reviews_count,
        "fund_rubric": selectors.rubric_current(fund=rubric.fund) if rubric.call_id else None,
    })


@officer_required
@require_POST
def rubric_create_for_call(request, call_id):
    """A call gets its own rubric: a copy of the fund's (or an empty one when the fund has none);
    if it has one already, the page of its current version opens."""
    call = get_object_or_404(Call.objects.select_related("fund"), pk=call_id)
    own = selectors.rubric_current(fund=call.fund, call=call)
    if own is not None:
        return redirect("reviews:rubric_edit", pk=own.pk)
    fund_rubric = selectors.rubric_current(fund=call.fund)
    try:
        if fund_rubric is not None:
            rubric = services.rubric_copy(rubric=fund_rubric, call=call, by=request.user)
            messages.success(request, _("This call now has its own rubric, copied from the fund's. Changes here "
                                        "apply to this call only."))
        else:
            rubric = services.rubric_create(fund=call.fund, call=call, by=request.user)
            messages.success(request, _("This call now has its own rubric. Add its criteria."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("reviews:calls")
    return redirect("reviews:rubric_edit", pk=rubric.pk)


@officer_required
@require_POST
def rubric_create_for_fund(request, slug):
    """The fund's own rubric, made empty (scoring) when it has none; else its current version opens."""
    fund = get_object_or_404(Fund, slug=slug)
    rubric = selectors.rubric_current(fund=fund)
    if rubric is None:
        rubric = services.rubric_create(fund=fund, by=request.user)
        messages.success(request, _("The fund's rubric is made. Add its criteria."))
    return redirect("reviews:rubric_edit", pk=rubric.pk)
