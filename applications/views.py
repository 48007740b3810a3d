"""The applicant portal and the program officer's screening pages. Each write calls a service."""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fundops import roles
from fundops.audit import TransitionNotAllowed
from fundops.forms import OrganizationProfileForm
from fundops.models import Fund, Organization, OrganizationDocument
from fundops.organization_documents import documents_on_file, organization_document_add
from fundops.registration_views import OrganizationDocumentForm
from fundops.services import organization_update

from fundops.questionnaires.answers import answer_rows
from fundops.questionnaires.forms import answers_form

from . import pdf, selectors, services
from .forms import (
    AnswerForm, ApplicationDraftForm, DeclineForm, FundChoiceForm, RequestInfoForm, WithdrawForm,
)
from .models import Application, Attachment, State


def applicant_required(view):
    """Signed in as an applicant who belongs to an organisation, else 403."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles.is_applicant(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _own_application(request, pk):
    # Another organisation's application is "not found", never "forbidden": no hint it exists.
    return get_object_or_404(
        Application.objects.select_related("fund", "call", "organization"),
        pk=pk,
        organization_id=request.user.organization_id,
    )


def add_errors(form, error, answers=None):
    """Put a service's ValidationError next to the fields it names; the rest on top of the form.
    Problems with answers ("q-<key>") go beside the question in `answers`, the questionnaire's form."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            key = field[len(services.ANSWER_PREFIX) + 1:] if field.startswith(services.ANSWER_PREFIX + "-") else None
            if answers is not None and key in answers.fields:
                answers.add_error(key, messages_)
            else:
                form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# Applicant portal ------------------------------------------------------------------------


@applicant_required
def application_list(request):
    applications = selectors.applications_of_organization(organization=request.user.organization)
    return render(request, "applications/list.html", {"applications": applications})


@applicant_required
def application_create(request):
    funds_with_calls = selectors.open_funds_with_calls()
    form = FundChoiceForm(request.POST or None, funds_with_calls=funds_with_calls)
    if request.method == "POST" and form.is_valid():
        fund, call = form.selected()
        application = services.application_create_draft(
            organization=request.user.organization, fund=fund, call=call, by=request.user
        )
        messages.success(request, "Draft started. Save it at any time and come back later.")
        return redirect("applications:edit", pk=application.pk)
    return render(request, "applications/create.html", {"form": form, "funds_with_calls": funds_with_calls})


def _answers_form(application, data=None, files=None):
    """The form of the call's own questions (None when only the core is asked)."""
    questionnaire = services.application_form_for(application)
    if questionnaire is None:
        return None
    # Drafting: missing answers are not a problem until submission (submission_problems says so).
    return answers_form(questionnaire, data=data, files=files, initial=application.answers,
                        prefix=services.ANSWER_PREFIX, require=False)


def _save_draft(request, application, form, answers):
    """Save the draft's fields, answers and any new documents together; False (with every problem on
    the forms) if refused — and then the uploads that passed their checks are kept with the draft."""
    forms_valid = form.is_valid() & (answers is None or answers.is_valid())  # both checked: every problem at once
    if forms_valid:
        try:
            with transaction.atomic():
                services.application_update_draft(
                    application=application, by=request.user,
                    answers=answers.cleaned_answers() if answers is not None else None, **form.draft_data(),
                )
                # Last in the transaction: each checks every file before writing any.
                if form.uploads():
                    services.attachments_add(application=application, uploads=form.uploads(), by=request.user)
                if answers is not None and answers.new_files():
                    services.answer_files_add(application=application, files=answers.new_files(), by=request.user)
            return True
        except ValidationError as error:
            add_errors(form, error, answers)
    _keep_checked_uploads(request, application, form, answers)
    return False


def _keep_checked_uploads(request, application, form, answers):
    """Nothing typed is lost: after an error the typed values stay in the form, and files that passed
    their checks are stored with the draft (a browser cannot put a chosen file back into the page)."""
    for kind in form.FILE_FIELDS:
        upload = form.files.get(kind)
        if not upload or form.errors.get(kind):
            continue
        try:
            services.attachment_add(application=application, kind=kind, uploaded_file=upload, by=request.user)
        except ValidationError as error:
            form.add_error(kind, error.message_dict.get(kind, error.messages) if hasattr(error, "error_dict") else error.messages)
        else:
            form.kept.append(upload.name)
    if answers is not None:
        for key, upload in answers.checked_files().items():
            try:
                application = services.answer_files_add(application=application, files={key: upload}, by=request.user)
            except ValidationError as error:
                add_errors(form, error, answers)
            else:
                answers.initial[key] = application.answers[key]
                form.kept.append(upload.name)


def _edit_page(request, application, form, answers, *, submit_failed=False):
    problems = len(form.errors) + (len(answers.errors) if answers is not None else 0)
    return render(
        request,
        "applications/edit.html",
        {
            "application": application,
            "form": form,
            "answers": answers,
            "problem_count": problems,
            "attachments": application.attachments.exclude(kind=Attachment.Kind.ANSWER),
            "on_file": _documents_on_file_for(application),
            "submit_failed": submit_failed,
        },
        status=400 if problems else 200,
    )


def _documents_on_file_for(application):
    """The organisation's documents on file that stand for a document this application's fund asks for."""
    on_file = documents_on_file(application.organization)
    return [on_file[kind] for kind in application.fund.required_documents or [] if kind in on_file]


def _draft_form(application, request=None):
    if request is None:
        form = ApplicationDraftForm(initial=ApplicationDraftForm.initial_from(application), fund=application.fund)
    else:
        form = ApplicationDraftForm(request.POST, request.FILES, fund=application.fund)
    form.kept = []  # names of files kept with the draft after an error
    return form


@applicant_required
def application_edit(request, pk):
    application = _own_application(request, pk)
    if application.state != State.DRAFT:
        messages.info(request, "Only drafts can be edited.")
        return redirect(application)
    if request.method == "POST":
        form = _draft_form(application, request)
        answers = _answers_form(application, request.POST, request.FILES)
        removing = "remove_attachment" in request.POST
        to_remove = _attachment_to_remove(request, application) if removing else None
        if removing and to_remove is None:
            # A stale page or a tampered button: say so, and save nothing.
            form.is_valid()
            form.add_error(None, _("That document is no longer attached to this draft. Nothing was changed."))
        elif _save_draft(request, application, form, answers):
            if to_remove is not None:
                return _remove_attachment(request, application, to_remove)
            messages.success(request, "Draft saved. You can come back to it at any time.")
            return redirect("applications:edit", pk=application.pk)
    else:
        form = _draft_form(application)
        answers = _answers_form(application)
    return _edit_page(request, application, form, answers)


def _attachment_to_remove(request, application):
    """The draft's document named by the Remove button, or None (not a number, or not this draft's)."""
    value = request.POST.get("remove_attachment", "")
    if not (value.isascii() and value.isdigit() and len(value) < 19):  # a database id fits in 64 bits
        return None
    return application.attachments.filter(pk=int(value)).first()


def _remove_attachment(request, application, attachment):
    services.attachment_remove(attachment=attachment, by=request.user)
    messages.success(request, f"Removed “{attachment.original_name}”.")
    return redirect("applications:edit", pk=application.pk)


@applicant_required
@require_POST
def application_submit(request, pk):
    """Save what was typed, then submit; on problems show every one, on top and by its field."""
    application = _own_application(request, pk)
    if application.state != State.DRAFT:
        messages.error(request, f"This application is already “{application.get_state_display()}”.")
        return redirect(application)
    form = _draft_form(application, request)
    answers = _answers_form(application, request.POST, request.FILES)
    if not _save_draft(request, application, form, answers):
        return _edit_page(request, application, form, answers, submit_failed=True)
    try:
        services.application_submit(application=application, by=request.user)
    except ValidationError as error:
        application.refresh_from_db()
        if answers is not None:
            answers.initial = dict(application.answers)  # files just stored show as uploaded
        add_errors(form, error, answers)
        return _edit_page(request, application, form, answers, submit_failed=True)
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
        return redirect(application)
    messages.success(request, "Application submitted. The fund team will screen it and let you know.")
    return redirect(application)


@applicant_required
def application_detail(request, pk):
    application = _own_application(request, pk)
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "attachments": application.attachments.all(),
            "on_file": _documents_on_file_for(application),
            "answer_rows": answer_rows(services.application_form_for(application), application.answers),
            "timeline": selectors.application_timeline(application=application, viewer=request.user),
            "info_request": selectors.current_info_request(application),
            "answer_form": AnswerForm() if application.state == State.INFO_REQUESTED else None,
            "withdraw_form": WithdrawForm() if application.state in WITHDRAWABLE else None,
        },
    )


WITHDRAWABLE = (State.DRAFT, State.SUBMITTED, State.INFO_REQUESTED)


@applicant_required
def application_withdraw(request, pk):
    application = _own_application(request, pk)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(application=application, by=request.user, note=form.cleaned_data["note"])
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Application withdrawn.")
        return redirect(application)
    return render(request, "applications/withdraw.html", {"application": application, "form": form})


@applicant_required
def application_answer(request, pk):
    application = _own_application(request, pk)
    if application.state != State.INFO_REQUESTED:
        messages.info(request, "There is no question waiting for an answer on this application.")
        return redirect(application)
    info_request = selectors.current_info_request(application)
    form = AnswerForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if form.cleaned_data["document"]:
                    services.attachment_add(
                        application=application, kind="other",
                        uploaded_file=form.cleaned_data["document"], by=request.user,
                    )
                services.application_answer_info(
                    application=application, by=request.user, answer=form.cleaned_data["answer"]
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "other" in error.error_dict:
                error = ValidationError({"document": error.error_dict["other"]})
            add_errors(form, error)
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
            return redirect(application)
        else:
            messages.success(request, "Thank you. Your answer was sent and review continues.")
            return redirect(application)
    return render(
        request,
        "applications/answer.html",
        {"application": application, "form": form, "info_request": info_request},
        status=400 if form.errors else 200,
    )


def application_pdf(request, pk):
    """The application as a PDF (core fields and answers), for fund staff and the applicant's organisation."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    application = get_object_or_404(Application.objects.select_related("fund", "call", "organization"), pk=pk)
    if not (selectors.is_own_application(request.user, application) or roles.is_program_officer(request.user)):
        raise Http404
    content = pdf.application_pdf(application)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="application-{application.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_download(request, pk):
    """Documents are only ever served here, after the permission check, as downloads."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    attachment = get_object_or_404(Attachment.objects.select_related("application"), pk=pk)
    if not selectors.can_view_application(request.user, attachment.application):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.")
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@applicant_required
def organization_profile(request):
    organization = Organization.objects.get(pk=request.user.organization_id)
    if request.method == "POST" and "document_kind_upload" in request.POST:
        return _organization_document_upload(request, organization)
    editing = request.GET.get("edit") == "1" or request.method == "POST"
    form = OrganizationProfileForm(request.POST or None, instance=organization) if editing else None
    if request.method == "POST" and form.is_valid():
        try:
            organization_update(
                organization=Organization.objects.get(pk=organization.pk), by=request.user, **form.profile_data()
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, "Organisation profile saved.")
            return redirect("applications:organization")
    organization.refresh_from_db()
    return _organization_page(request, organization, form=form)


def _organization_page(request, organization, *, form=None, document_form=None):
    document_form = document_form or OrganizationDocumentForm()
    return render(
        request,
        "applications/organization.html",
        {"organization": organization, "form": form, "document_form": document_form,
         "documents": OrganizationDocument.objects.filter(organization=organization).select_related("uploaded_by")},
        status=400 if (form is not None and form.errors) or document_form.errors else 200,
    )


def _organization_document_upload(request, organization):
    """Keep a document on the organisation's file (its applications reuse it)."""
    document_form = OrganizationDocumentForm(request.POST, request.FILES)
    if document_form.is_valid():
        try:
            document = organization_document_add(
                organization=organization, kind=document_form.cleaned_data["kind"],
                uploaded_file=document_form.cleaned_data["file"], by=request.user,
            )
        except ValidationError as error:
            add_errors(document_form, error)
        else:
            messages.success(request, _("“%(name)s” is on file. Your applications will use it.")
                             % {"name": document.original_name})
            return redirect("applications:organization")
    return _organization_page(request, organization, document_form=document_form)


# Program officer: screening ----------------------------------------------------------------


@roles.role_required(roles.PROGRAM_OFFICER)
def screening(request):
    funds = Fund.objects.order_by("name")
    fund = None
    if request.GET.get("fund"):
        fund = get_object_or_404(Fund, slug=request.GET["fund"])
    state = request.GET.get("state") or State.SUBMITTED
    if state not in dict(selectors.SCREENING_STATES):
        state = State.SUBMITTED
    page = Paginator(selectors.screening_queue(fund=fund, state=state), 50).get_page(request.GET.get("page"))
    rows = [(application, selectors.decision_clock(application)) for application in page.object_list]
    return render(
        request,
        "applications/screening.html",
        {
            "rows": rows,
            "page": page,
            "funds": funds,
            "fund": fund,
            "state": state,
            "states": selectors.SCREENING_STATES,
        },
    )


STAFF_ACTIONS = {
    "screen_in": "Screened in: the application now goes to review.",
    "decline": "Application declined. The applicant can read your reason.",
    "request_info": "Question sent. The application waits for the applicant's answer.",
}


@roles.role_required(roles.PROGRAM_OFFICER)
def review_detail(request, pk):
    application = get_object_or_404(Application.objects.select_related("fund", "call", "organization"), pk=pk)
    decline_form = DeclineForm(prefix="decline")
    info_form = RequestInfoForm(prefix="info")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "screen_in":
                services.application_screen_in(application=application, by=request.user)
            elif action == "decline":
                decline_form = DeclineForm(request.POST, prefix="decline")
                if not decline_form.is_valid():
                    raise _FormInvalid
                services.application_decline(
                    application=application, by=request.user, reason=decline_form.cleaned_data["reason"]
                )
            elif action == "request_info":
                info_form = RequestInfoForm(request.POST, prefix="info")
                if not info_form.is_valid():
                    raise _FormInvalid
                services.application_request_info(
                    application=application, by=request.user, question=info_form.cleaned_data["question"]
                )
            else:
                raise Http404("Unknown action.")
        except _FormInvalid:
            pass
        except ValidationError as error:
            add_errors(decline_form if action == "decline" else info_form, error)
        except TransitionNotAllowed as error:
            messages.error(request, str(error))
            return redirect("applications:review_detail", pk=application.pk)
        else:
            messages.success(request, STAFF_ACTIONS[action])
            return redirect("applications:review_detail", pk=application.pk)
    application.refresh_from_db()
    return render(
        request,
        "applications/review_detail.html",
        {
            "application": application,
            "attachments": application.attachments.all(),
            "on_file": _documents_on_file_for(application),
            "answer_rows": answer_rows(services.application_form_for(application), application.answers),
            "timeline": selectors.application_timeline(application=application, viewer=request.user),
            "clock": selectors.decision_clock(application),
            "info_request": selectors.current_info_request(application),
            "decline_form": decline_form,
            "info_form": info_form,
            "can_screen_in": application.state == State.SUBMITTED,
            "can_decline": application.state in (State.SUBMITTED, State.IN_REVIEW),
            "can_request_info": application.state == State.IN_REVIEW,
        },
        status=400 if decline_form.errors or info_form.errors else 200,
    )


class _FormInvalid(Exception):
    pass
