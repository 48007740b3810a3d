"""Documents an organisation keeps once (registration certificate, statutes, audited accounts) and
its applications reuse: a document on file of a kind a fund asks for counts as attached."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import roles
from .models import ORGANIZATION_DOCUMENT_KINDS, OrganizationDocument
from .uploads import check_upload, stored_files_removed_on_error

KINDS = dict(ORGANIZATION_DOCUMENT_KINDS)


def may_view(user, document):
    """Its own organisation's people and the fund's program officers (administrators included)."""
    return (roles.is_applicant(user) and user.organization_id == document.organization_id) or roles.is_program_officer(user)


@transaction.atomic
def organization_document_add(*, organization, kind, uploaded_file, by):
    """Keep a checked document on the organisation's file. A newer one of the same kind is the one
    used from now on; older ones stay, since submitted applications were judged on them."""
    if not ((roles.is_applicant(by) and by.organization_id == organization.pk) or roles.is_program_officer(by)):
        raise PermissionDenied(_("You may only add documents to your own organisation."))
    if kind not in KINDS:
        raise ValidationError({"kind": [_("Choose what kind of document this is.")]})
    if not uploaded_file:
        raise ValidationError({"file": [_("Choose the file to upload.")]})
    try:
        upload = check_upload(uploaded_file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages})
    document = OrganizationDocument(
        organization=organization, kind=kind, original_name=upload.original_name,
        content_type=upload.content_type, size=upload.size, uploaded_by=by,
    )
    with stored_files_removed_on_error() as stored:
        document.file.save(upload.original_name, uploaded_file, save=False)
        stored.append(document.file)
        document.save()
    return document


def documents_on_file(organization):
    """{kind: the newest document of that kind} for one organisation, in one query."""
    latest = {}
    for document in OrganizationDocument.objects.filter(organization=organization).order_by("kind", "-uploaded_at", "-pk"):
        latest.setdefault(document.kind, document)
    return latest


def kinds_on_file(organization):
    """The kinds of document this organisation has on file (one small query)."""
    return set(OrganizationDocument.objects.filter(organization=organization).values_list("kind", flat=True))
