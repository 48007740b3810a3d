"""Pages after the award: the grantee's grant page and reports, the program officer's report review,
queue and reporting requirements, and the public learning library. Every write calls a service.

Who sees what: a grant's own organisation and fund staff; another organisation's grant or report
is "not found" (no hint it exists); any other role is refused (403)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from applications.selectors import is_staff_viewer
from disbursements.models import Grant
from fundops import roles
from fundops.audit import TransitionNotAllowed, audit_trail
from fundops.models import Fund
from fundops.questionnaires.answers import answer_rows
from fundops.questionnaires.forms import answers_form

from . import selectors, services
from .forms import (
    AcceptForm, ChangesForm, DueDateForm, LibrarySearchForm, ReportForm, RequirementForm, SignedLetterForm,
    budget_formset, budget_lines_from,
)
from .models import OPEN_STATES, GrantDocument, GrantReport, LearningEntry, ReportAttachment, ReportRequirement, ReportState

LIBRARY_PAGE_SIZE = 20


def _refuse(user):
    """An applicant meets another organisation's things as "not found"; every other role is refused."""
    if roles.is_applicant(user):
        raise Http404
    raise PermissionDenied


def _grant_for_viewer(request, pk):
    grant = get_object_or_404(
        Grant.objects.select_related("application", "organization", "fund", "decided_by"), pk=pk
    )
    if not (services.is_own_grantee(request.user, grant) or is_staff_viewer(request.user)):
        _refuse(request.user)
    return grant


def _own_report(request, pk):
    report = get_object_or_404(
        GrantReport.objects.select_related("grant", "grant__organization", "grant__fund", "grant__application",
                                           "questionnaire"), pk=pk,
    )
    if not services.is_own_grantee(request.user, report.grant):
        _refuse(request.user)
    return report


def _download(stored):
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The file is missing from storage."))
    response = FileResponse(handle, as_attachment=True, filename=stored.original_name, content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _say_refusal(request, error):
    if isinstance(error, ValidationError):
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.error(request, str(error) or _("You may not do this."))


# The grantee's grant page ------------------------------------------------------------------


@login_required
@require_GET
def grant_page(request, pk):
    grant = _grant_for_viewer(request, pk)
    overview = selectors.grant_overview(grant=grant)
    is_grantee = services.is_own_grantee(request.user, grant)
    return render(request, "grantee_reports/grant.html", {
        "grant": grant, "application": grant.application, "is_grantee": is_grantee,
        "is_officer": roles.is_program_officer(request.user),
        "letter_form": SignedLetterForm() if is_grantee else None, **overview,
    })


@require_POST
@login_required
def signed_letter(request, pk):
    grant = get_object_or_404(Grant.objects.select_related("organization"), pk=pk)
    if not services.is_own_grantee(request.user, grant):
        _refuse(request.user)
    form = SignedLetterForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.signed_letter_upload(grant=grant, by=request.user, uploaded_file=form.cleaned_data["file"])
        except ValidationError as error:
            _say_refusal(request, error)
        else:
            messages.success(request, _("Thank you: we received the signed award letter."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("grantee_reports:grant", pk=grant.pk)


@login_required
@require_GET
def document_download(request, pk):
    document = get_object_or_404(GrantDocument.objects.select_related("grant"), pk=pk)
    _grant_for_viewer(request, document.grant_id)
    return _download(document)


@login_required
@require_GET
def attachment_download(request, pk):
    attachment = get_object_or_404(ReportAttachment.objects.select_related("report"), pk=pk)
    _grant_for_viewer(request, attachment.report.grant_id)
    return _download(attachment)


# The grantee's report ----------------------------------------------------------------------


class _Forms:
    """The report page's forms, bound to what was posted (or to what is saved)."""

    def __init__(self, report, data=None, files=None):
        at_risk = report.grant.organization.at_risk
        if data is None:
            self.main = ReportForm(initial=ReportForm.initial_from(report), at_risk=at_risk)
        else:
            self.main = ReportForm(data, files, at_risk=at_risk)
        self.questions = None
        if report.questionnaire_id:
            self.questions = answers_form(report.questionnaire, data=data, files=files, initial=report.answers,
                                          prefix="q")
        self.budget = budget_formset(report, data) if report.has_spending else None
        self.problems = {}  # section -> [messages], from the services

    def check(self):
        """(valid for a draft, questions still unanswered): a required question left empty does not
        stop a draft; anything else wrong does."""
        valid = self.main.is_valid()
        if self.budget is not None:
            valid = self.budget.is_valid() and valid
        unanswered = False
        if self.questions is not None:
            self.questions.is_valid()
            for key, errors in self.questions.errors.as_data().items():
                if all(error.code == "required" for error in errors):
                    unanswered = True
                else:
                    valid = False
        return valid, unanswered

    def add_service_errors(self, error):
        for section, problems in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
            if section == "narrative":
                self.main.add_error("narrative", problems)
            else:
                self.problems.setdefault(section or "report", []).extend(problems)

    @property
    def has_errors(self):
        return bool(
            self.main.errors or self.problems or (self.questions is not None and self.questions.errors)
            or (self.budget is not None and any(form.errors for form in self.budget.forms))
        )


def _report_page(request, report, report_forms=None, *, submit_failed=False):
    editable = report.state in OPEN_STATES
    grant = report.grant
    context = {
        "report": report, "grant": grant, "editable": editable, "forms": report_forms,
        "submit_failed": submit_failed,
        "money": selectors.report_money(report) if report.has_spending else None,
        "attachments": list(report.attachments.all()),
    }
    if not editable:
        context.update(_report_reading(report))
    status = 400 if report_forms is not None and report_forms.has_errors else 200
    return render(request, "grantee_reports/report.html", context, status=status)


def _report_reading(report):
    """What a submitted or accepted report shows, read-only (grantee and officer pages)."""
    learning = LearningEntry.objects.filter(report=report).prefetch_related("themes").first()
    return {
        "answer_rows": answer_rows(report.questionnaire, report.answers),
        "budget_lines": list(report.budget_lines.all()),
        "learning": learning,
    }


@login_required
def report_page(request, pk):
    report = _own_report(request, pk)
    if request.method != "POST":
        return _report_page(request, report, _Forms(report) if report.state in OPEN_STATES else None)
    action = "submit" if "submit" in request.POST else "save"
    if report.state not in OPEN_STATES:
        messages.error(request, _("This report is “%(state)s”: it can no longer be changed.") % {
            "state": report.get_state_display()})
        return redirect("grantee_reports:report", pk=report.pk)
    report_forms = _Forms(report, request.POST, request.FILES)
    valid, unanswered = report_forms.check()
    if not valid:
        return _report_page(request, report, report_forms)
    main = report_forms.main.cleaned_data
    try:
        services.report_draft_save(
            report=report, by=request.user, narrative=main["narrative"],
            answers=report_forms.questions.cleaned_answers() if report_forms.questions is not None else None,
            new_files=report_forms.questions.new_files() if report_forms.questions is not None else None,
            budget_lines=budget_lines_from(report_forms.budget) if report_forms.budget is not None else None,
            learning=report_forms.main.learning(), uploads=[main["documents"]] if main.get("documents") else [],
        )
    except ValidationError as error:
        report_forms.add_service_errors(error)
        return _report_page(request, report, report_forms)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
        return redirect("grantee_reports:report", pk=report.pk)
    report.refresh_from_db()
    if action == "save":
        messages.success(request, _("Draft saved. You can come back to it at any time."))
        return redirect("grantee_reports:report", pk=report.pk)
    if unanswered:
        return _report_page(request, report, report_forms, submit_failed=True)
    try:
        services.report_submit(report=report, by=request.user)
    except ValidationError as error:
        report_forms.add_service_errors(error)
        return _report_page(request, report, report_forms, submit_failed=True)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
        return redirect("grantee_reports:report", pk=report.pk)
    messages.success(request, _("Report submitted. The fund team will read it and let you know."))
    return redirect("grantee_reports:grant", pk=report.grant_id)


@require_POST
@login_required
def attachment_remove(request, pk):
    attachment = get_object_or_404(ReportAttachment.objects.select_related("report", "report__grant"), pk=pk)
    report = _own_report(request, attachment.report_id)
    try:
        services.report_attachment_remove(attachment=attachment, by=request.user)
    except ValidationError as error:
        _say_refusal(request, error)
    else:
        messages.success(request, _("Removed “%(name)s”.") % {"name": attachment.original_name})
    return redirect("grantee_reports:report", pk=report.pk)


# Program officers --------------------------------------------------------------------------

QUEUE_TABS = [
    ("submitted", gettext_lazy("To review")),
    ("overdue", gettext_lazy("Overdue")),
    ("due", gettext_lazy("Due")),
    ("changes_requested", gettext_lazy("Changes requested")),
    ("accepted", gettext_lazy("Accepted")),
]


@roles.role_required(roles.PROGRAM_OFFICER)
@require_GET
def queue(request):
    tab = request.GET.get("show") or "submitted"
    if tab not in dict(QUEUE_TABS):
        tab = "submitted"
    fund = None
    if request.GET.get("fund"):
        fund = get_object_or_404(Fund, slug=request.GET["fund"])
    reports = selectors.reports_queue(fund=fund, overdue=tab == "overdue", state=None if tab == "overdue" else tab)
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(request, "grantee_reports/queue.html", {
        "page": page, "tab": tab, "tabs": QUEUE_TABS, "fund": fund, "funds": Fund.objects.order_by("name"),
    })


REVIEW_ACTIONS = {
    "accept": gettext_lazy("Report accepted. The grantee has been told."),
    "changes": gettext_lazy("Sent back: the grantee can read your comment and change the report."),
    "due_date": gettext_lazy("Due date moved. Reminders follow the new date."),
}


@roles.role_required(roles.PROGRAM_OFFICER)
def review(request, pk):
    report = get_object_or_404(
        GrantReport.objects.select_related("grant", "grant__organization", "grant__fund", "grant__application",
                                           "questionnaire", "gated_tranche"), pk=pk,
    )
    accept_form, changes_form = AcceptForm(prefix="accept"), ChangesForm(prefix="changes")
    due_form = DueDateForm(prefix="due", initial={"due_on": report.due_on})
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in REVIEW_ACTIONS:
            raise Http404(_("Unknown action."))
        form = {"accept": AcceptForm, "changes": ChangesForm, "due_date": DueDateForm}[action](request.POST, prefix={
            "accept": "accept", "changes": "changes", "due_date": "due"}[action])
        accept_form, changes_form, due_form = (
            form if action == "accept" else accept_form,
            form if action == "changes" else changes_form,
            form if action == "due_date" else due_form,
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "accept":
                    services.report_accept(report=report, by=request.user, note=data["note"])
                elif action == "changes":
                    services.report_request_changes(report=report, by=request.user, comment=data["comment"])
                else:
                    services.report_due_date_change(report=report, by=request.user, due_on=data["due_on"],
                                                    note=data["note"])
            except ValidationError as error:
                for field, problems in error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]:
                    form.add_error(field if field in form.fields else None, problems)
            except TransitionNotAllowed as error:
                messages.error(request, str(error))
                return redirect("grantee_reports:review", pk=report.pk)
            else:
                messages.success(request, REVIEW_ACTIONS[action])
                return redirect("grantee_reports:review", pk=report.pk)
    report.refresh_from_db()
    grant = report.grant
    grant.application.refresh_from_db()
    labels = {**dict(ReportState.choices), "": _("New")}
    trail = list(audit_trail(report))
    for entry in trail:
        entry.from_label = labels.get(entry.from_state, entry.from_state)
        entry.to_label = labels.get(entry.to_state, entry.to_state)
    return render(request, "grantee_reports/review.html", {
        "report": report, "grant": grant, "trail": trail,
        "money": selectors.report_money(report) if report.has_spending else None,
        "attachments": list(report.attachments.all()), **_report_reading(report),
        "accept_form": accept_form, "changes_form": changes_form, "due_form": due_form,
        "can_decide": report.state == ReportState.SUBMITTED, "can_move": report.state in OPEN_STATES,
        "money_settled": services.money_settled(grant)[0], "final_accepted": services.final_report_accepted(grant),
    }, status=400 if any(f.errors for f in (accept_form, changes_form, due_form)) else 200)


@roles.role_required(roles.PROGRAM_OFFICER)
def requirements(request, slug):
    fund = get_object_or_404(Fund, slug=slug)
    form = RequirementForm(request.POST if request.method == "POST" else None, prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            services.requirement_save(fund=fund, by=request.user, **form.requirement_data())
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Report added: grants approved from now on owe it."))
            return redirect("grantee_reports:requirements", slug=fund.slug)
    return render(request, "grantee_reports/requirements.html", {
        "fund": fund, "form": form,
        "requirements": list(fund.report_requirements.select_related("questionnaire").order_by("order", "pk")),
        "funds": Fund.objects.order_by("name"),
    }, status=400 if form.errors else 200)


@roles.role_required(roles.PROGRAM_OFFICER)
def requirement_edit(request, pk):
    requirement = get_object_or_404(ReportRequirement.objects.select_related("fund"), pk=pk)
    if request.method != "POST":
        form = RequirementForm(instance=requirement)
    elif (form := RequirementForm(request.POST)).is_valid():
        try:
            services.requirement_save(fund=requirement.fund, by=request.user, requirement=requirement,
                                      **form.requirement_data())
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Saved. Grants approved from now on follow the new rule."))
            return redirect("grantee_reports:requirements", slug=requirement.fund.slug)
    return render(request, "grantee_reports/requirement_edit.html", {
        "requirement": requirement, "fund": requirement.fund, "form": form,
    }, status=400 if form.errors else 200)


@require_POST
@roles.role_required(roles.PROGRAM_OFFICER)
def requirement_remove(request, pk):
    requirement = get_object_or_404(ReportRequirement.objects.select_related("fund"), pk=pk)
    fund = requirement.fund
    services.requirement_remove(requirement=requirement, by=request.user)
    messages.success(request, _("Removed. Grants approved earlier keep the reports they owe."))
    return redirect("grantee_reports:requirements", slug=fund.slug)


@require_POST
@roles.role_required(roles.PROGRAM_OFFICER)
def requirement_form(request, pk):
    """Open the report's own form in the questionnaire editor, creating it the first time."""
    requirement = get_object_or_404(ReportRequirement, pk=pk)
    with transaction.atomic():
        questionnaire = services.requirement_questionnaire(requirement=requirement, by=request.user)
    return redirect(reverse("fundsetup:questionnaire_edit", kwargs={"pk": questionnaire.pk}))


# The public learning library -------------------------------------------------------------------


@require_GET
def learning_library(request):
    """Open to everyone, signed in or not."""
    form = LibrarySearchForm(request.GET or None, regions=selectors.library_regions())
    form.is_valid()  # a field that does not check out (an unknown theme) is left out, the others still apply
    data = getattr(form, "cleaned_data", {})
    filters = {"text": data.get("q") or "", "theme": data.get("theme") or "", "region": data.get("region") or "",
               "language": data.get("language") or ""}
    page = Paginator(selectors.learning_library(**filters), LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    entries = [selectors.public_entry(entry) for entry in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "grantee_reports/learning.html", {
        "form": form, "page": page, "entries": entries, "query": query.urlencode(),
        "filtered": any(filters.values()),
    })
