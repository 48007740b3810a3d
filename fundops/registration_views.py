"""Doors to fundops/registration.py: the public registration page, staff's list of organisations to
verify, inviting a colleague and accepting an invitation. Each view is thin: the form, then the service."""
from django import forms
from django.contrib import messages
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_countries import countries

from . import organization_documents, registration, roles
from .models import ORGANIZATION_DOCUMENT_KINDS, Invitation, Organization, OrganizationDocument


def _add_errors(form, error):
    """A service's ValidationError onto the form: every problem next to its field, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


class _PasswordPair(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=gettext_lazy("The same password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].help_text = " ".join(password_validation.password_validators_help_texts())

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ. Type the same password twice."))
        return data


class RegisterForm(_PasswordPair):
    organization_name = forms.CharField(label=gettext_lazy("Organisation's name"), max_length=255)
    country = forms.ChoiceField(label=gettext_lazy("Country where it is based"))
    contact_email = forms.EmailField(
        label=gettext_lazy("Organisation's contact e-mail"),
        help_text=gettext_lazy("Where the fund's staff write to your organisation."),
    )
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=150,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=gettext_lazy("Your e-mail address"),
                             help_text=gettext_lazy("You sign in with it."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    field_order = ["organization_name", "country", "contact_email", "name", "email", "password", "password_again"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Choose a country"))] + list(countries)
        self.order_fields(self.field_order)

    def clean(self):
        # Every problem at once: the service's own checks (a taken e-mail, the password validators)
        # run here too, so they are reported together with the form's.
        data = super().clean()
        problems = registration.person_problems(
            name=data.get("name", ""), email=data.get("email", ""), password=data.get("password", "")
        )
        for field, messages_ in problems.items():
            if field in data and field not in self.errors:
                self.add_error(field, messages_)
        return data


def register(request):
    """Public: a member organisation signs up with its first user. It waits for staff to verify it."""
    if request.user.is_authenticated:
        return redirect("home")
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            organization, user = registration.organization_register(
                organization_name=data["organization_name"], country=data["country"],
                contact_email=data["contact_email"], name=data["name"], email=data["email"],
                password=data["password"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return render(request, "fundops/register_done.html", {"organization": organization, "user": user})
    return render(request, "fundops/register.html", {"form": form}, status=400 if form.errors else 200)


@roles.role_required(roles.PROGRAM_OFFICER)
def organizations_pending(request):
    pending = (Organization.objects.filter(verification_status=Organization.VerificationStatus.PENDING)
               .prefetch_related("users").order_by("created_at", "pk"))
    return render(request, "fundops/pending_organisations.html", {"organizations": pending})


@require_POST
@roles.role_required(roles.PROGRAM_OFFICER)
def organization_verify(request, pk):
    organization = get_object_or_404(Organization, pk=pk)
    try:
        registration.organization_verify(organization=organization, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(organisation)s is verified: its people are told they can submit.")
                         % {"organisation": organization.name})
    return redirect("organizations_pending")


@require_POST
@roles.role_required(roles.PROGRAM_OFFICER)
def organization_reject(request, pk):
    organization = get_object_or_404(Organization, pk=pk)
    try:
        registration.organization_reject(organization=organization, by=request.user,
                                         reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The registration of %(organisation)s is rejected; its people are told why.")
                         % {"organisation": organization.name})
    return redirect("organizations_pending")


class InviteForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your colleague's name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("Your colleague's e-mail address"))


def _applicant_required(view):
    @roles.role_required(roles.APPLICANT)
    def wrapped(request, *args, **kwargs):
        if request.user.organization_id is None:
            return render(request, "403.html", status=403)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


@_applicant_required
def invite(request):
    organization = request.user.organization
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _token = registration.invitation_create(
                organization=organization, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s. The link works for %(days)s days.")
                             % {"email": invitation.email, "days": registration.INVITATION_DAYS})
            return redirect("invite")
    invitations = Invitation.objects.filter(organization=organization).select_related("invited_by")[:50]
    return render(request, "fundops/invite.html", {"form": form, "invitations": invitations,
                                                   "organization": organization},
                  status=400 if form.errors else 200)


def invitation_accept(request, token):
    """Public: the invited colleague chooses a password. The token in the link is the only key."""
    try:
        invitation = registration.invitation_for_token(token)
    except registration.InvitationInvalid as problem:
        return render(request, "fundops/invite_accept.html", {"problem": str(problem)}, status=400)
    form = _PasswordPair(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.invitation_accept(token=token, password=form.cleaned_data["password"])
        except registration.InvitationInvalid as problem:
            return render(request, "fundops/invite_accept.html", {"problem": str(problem)}, status=400)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Welcome to %(organisation)s. Sign in with your e-mail address and new "
                                        "password.") % {"organisation": invitation.organization.name})
            return redirect(reverse("login"))
    return render(request, "fundops/invite_accept.html", {"form": form, "invitation": invitation},
                  status=400 if form.errors else 200)


# Organisation documents kept on file -----------------------------------------------------------------


class OrganizationDocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of document"), choices=ORGANIZATION_DOCUMENT_KINDS)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, Word, Excel, OpenDocument or an image, at most 10 MB. Your applications "
                               "reuse it: you do not upload it again for each one."),
    )


def organization_document_download(request, pk):
    """Documents on file are only ever served here, after the permission check, as downloads."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('login')}?next={request.path}")
    document = get_object_or_404(OrganizationDocument, pk=pk)
    if not organization_documents.may_view(request.user, document):
        raise Http404
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.")
    response = FileResponse(handle, as_attachment=True, filename=document.original_name,
                            content_type=document.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
