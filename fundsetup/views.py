"""Fund setup pages for program officers: funds, their settings, calls and the form editor.
Each write calls a service (fundsetup.services, fundops.questionnaires.services)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fundops import roles
from fundops.audit import audit_trail
from fundops.models import Call, Fund, Questionnaire
from fundops.questionnaires import services as questionnaires
from fundops.questionnaires.forms import answers_form, condition_note

from . import services
from .forms import CallCopyForm, CallForm, FundSettingsForm, QuestionForm, QuestionnaireTitleForm

officers_only = roles.role_required(roles.PROGRAM_OFFICER)


def add_errors(form, error):
    """A service's ValidationError beside the fields it names; the rest on top of the form."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


@officers_only
@require_GET
def fund_list(request):
    funds = Fund.objects.annotate(call_count=Count("calls")).prefetch_related(
        Prefetch("calls", queryset=Call.objects.order_by("-opens_at"))
    )
    return render(request, "fundsetup/fund_list.html", {"funds": funds})


@officers_only
def fund_settings(request, slug):
    fund = get_object_or_404(Fund, slug=slug)
    if request.method == "POST":
        form = FundSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.fund_update(fund=fund, by=request.user, **form.settings_data())
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Fund settings saved."))
                return redirect("fundsetup:fund", slug=fund.slug)
    else:
        form = FundSettingsForm(initial=FundSettingsForm.initial_from(fund))
    return render(
        request, "fundsetup/fund_settings.html",
        {
            "fund": fund, "form": form, "calls": fund.calls.select_related("application_form").order_by("-opens_at"),
            "report_forms": fund.questionnaires.filter(purpose=Questionnaire.Purpose.REPORT).order_by("title", "-version"),
            "history": audit_trail(fund).order_by("-at")[:10],
            "rubric_url": _fund_rubric_url(fund),
        },
        status=400 if form.errors else 200,
    )


def _fund_rubric_url(fund):
    rubric = fund.rubrics.filter(call__isnull=True).order_by("-version").first()
    return _reverse_or_none("reviews:rubric_edit", rubric.pk) if rubric else None


def _reverse_or_none(name, *args):
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # the reviews pages are built alongside; link them once they exist
        return None


@officers_only
@require_POST
def fund_form_create(request, slug):
    fund = get_object_or_404(Fund, slug=slug)
    form = services.fund_form_create(fund=fund, by=request.user)
    return redirect("fundsetup:questionnaire_edit", pk=form.pk)


@officers_only
def call_create(request, slug):
    fund = get_object_or_404(Fund, slug=slug)
    form = CallForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            call = services.call_create(fund=fund, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Call created. Now give it its application form."))
            return redirect("fundsetup:call", pk=call.pk)
    return render(request, "fundsetup/call_create.html", {"fund": fund, "form": form},
                  status=400 if form.errors else 200)


@officers_only
def call_detail(request, pk):
    call = get_object_or_404(Call.objects.select_related("fund", "application_form"), pk=pk)
    if request.method == "POST":
        form = CallForm(request.POST)
        if form.is_valid():
            try:
                services.call_update(call=call, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, _("Call saved."))
                return redirect("fundsetup:call", pk=call.pk)
    else:
        form = CallForm(initial=CallForm.initial_from(call))
    rubric = services.call_rubric(call)
    return render(
        request, "fundsetup/call_detail.html",
        {
            "call": call, "fund": call.fund, "form": form,
            "questions": list(call.application_form.questions.order_by("order", "id")) if call.application_form else [],
            "rubric": rubric,
            "rubric_url": _reverse_or_none("reviews:rubric_edit", rubric.pk) if rubric else None,
            "rubric_create_url": None if rubric else _reverse_or_none("reviews:rubric_create_for_call", call.pk),
            "history": audit_trail(call).order_by("-at")[:10],
            "application_count": call.applications.count(),
        },
        status=400 if form.errors else 200,
    )


@officers_only
@require_POST
def call_form_create(request, pk):
    call = get_object_or_404(Call, pk=pk)
    form = services.call_form_create(call=call, by=request.user)
    messages.success(request, _("The call has its own application form. Add its questions below."))
    return redirect("fundsetup:questionnaire_edit", pk=form.pk)


@officers_only
def call_copy(request, pk):
    call = get_object_or_404(Call.objects.select_related("fund"), pk=pk)
    opens, closes = services.next_round_dates(call)
    form = CallCopyForm(
        request.POST if request.method == "POST" else None, initial={"name": services.next_round_name(call), "opens_at": opens, "closes_at": closes}
    )
    if request.method == "POST" and form.is_valid():
        try:
            new = services.call_copy(call=call, by=request.user, **form.cleaned_data,
                                     is_rolling=not form.cleaned_data["closes_at"])
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("“%(name)s” is ready, with a copy of the application form and rubric. "
                                        "Check its dates and questions.") % {"name": new.name})
            return redirect("fundsetup:call", pk=new.pk)
    return render(request, "fundsetup/call_copy.html", {"call": call, "fund": call.fund, "form": form},
                  status=400 if form.errors else 200)


# The form editor ---------------------------------------------------------------------------


def _question_of(questionnaire, value):
    if not (value or "").isdigit() or len(value) > 18:
        return None
    return questionnaire.questions.filter(pk=int(value)).first()


@officers_only
def questionnaire_edit(request, pk):
    questionnaire = get_object_or_404(Questionnaire.objects.select_related("fund"), pk=pk)
    questions = list(questionnaire.questions.order_by("order", "id"))
    labels = {q.key: q.label for q in questions}
    for q in questions:
        q.condition_note = condition_note(q, labels)
    editing = _question_of(questionnaire, request.GET.get("edit") or request.POST.get("question", ""))
    add_form = QuestionForm(prefix="new", questions=questions)
    edit_form = (
        QuestionForm(prefix="edit", initial=QuestionForm.initial_from(editing), questions=questions, exclude=editing)
        if editing else None
    )
    title_form = QuestionnaireTitleForm(prefix="title", initial={"title": questionnaire.title})

    if request.method == "POST":
        action = request.POST.get("action", "")
        result, form = None, None
        try:
            if action == "add":
                form = add_form = QuestionForm(request.POST, prefix="new", questions=questions)
                if form.is_valid():
                    result, _question = questionnaires.question_add(
                        questionnaire=questionnaire, by=request.user, **form.question_data()
                    )
            elif action == "title":
                form = title_form = QuestionnaireTitleForm(request.POST, prefix="title")
                if form.is_valid():
                    result = questionnaires.questionnaire_rename(
                        questionnaire=questionnaire, title=form.cleaned_data["title"], by=request.user
                    )
            elif action in {"update", "remove", "up", "down"}:
                if editing is None:
                    messages.error(request, _("That question is no longer in this form. Nothing was changed."))
                    return redirect("fundsetup:questionnaire_edit", pk=questionnaire.pk)
                if action == "update":
                    form = edit_form = QuestionForm(request.POST, prefix="edit", questions=questions, exclude=editing)
                    if form.is_valid():
                        result = questionnaires.question_update(question=editing, by=request.user, **form.question_data())
                elif action == "remove":
                    result = questionnaires.question_remove(question=editing, by=request.user)
                else:
                    result = questionnaires.question_move(question=editing, by=request.user, up=action == "up")
            else:
                messages.error(request, _("Nothing was changed: choose what to do with the form."))
                return redirect("fundsetup:questionnaire_edit", pk=questionnaire.pk)
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return redirect("fundsetup:questionnaire_edit", pk=questionnaire.pk)
            add_errors(form, error)
        if result is not None:
            if getattr(result, "made_new_version", False):
                messages.success(request, _(
                    "Saved as version %(version)s of the form, because version %(old)s has been answered. "
                    "Applications already submitted keep the version they answered."
                ) % {"version": result.version, "old": questionnaire.version})
            else:
                messages.success(request, _("Form saved."))
            anchor = "#add-question" if action == "add" else ""
            return redirect(reverse("fundsetup:questionnaire_edit", args=[result.pk]) + anchor)

    return render(
        request, "fundsetup/questionnaire_edit.html",
        {
            "questionnaire": questionnaire, "fund": questionnaire.fund, "questions": questions,
            "add_form": add_form, "edit_form": edit_form, "editing": editing, "title_form": title_form,
            "preview": answers_form(questionnaire, prefix="preview"),
            "calls": list(Call.objects.filter(application_form=questionnaire)),
            "newer": questionnaire.next_versions.order_by("-version").first(),
            "answered_count": questionnaire.applications.count(),
        },
        status=400 if any(f is not None and f.errors for f in (add_form, edit_form, title_form)) else 200,
    )
