"""The admin's Import button: upload a file, then watch its background job's page — rows checked,
then the result or every problem, and (after a check) the button that imports it for real."""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundops.models import ImportJob

from . import IMPORTERS
from .files import Limits
from .jobs import import_file_check, import_job_confirm, import_job_create
from .results import ImportRefused

# Where each kind's records are listed in the admin, for the "see them" link after an import.
CHANGELISTS = {
    "organizations": "admin:fundops_organization_changelist",
    "donors": "admin:fundops_donor_changelist",
    "contributions": "admin:fundops_contribution_changelist",
    "grants": "admin:disbursements_grant_changelist",
    "payments": "admin:disbursements_payment_changelist",
}
PROBLEMS_SHOWN = 1000
REFRESH_SECONDS = 2


class ImportUploadForm(forms.Form):
    import_file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"))
    dry_run = forms.BooleanField(
        required=False, initial=True,
        label=gettext_lazy("Check the file first and write nothing"),
        help_text=gettext_lazy("Recommended: the result page then offers to import the checked file."),
    )

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limits = Limits.from_settings()
        if upload.size > limits.max_bytes:  # refused before it is even read
            raise ValidationError(_("The file is %(size)s; files of at most %(limit)s are imported.")
                                  % {"size": filesizeformat(upload.size), "limit": filesizeformat(limits.max_bytes)})
        data = upload.read()
        upload.seek(0)
        try:
            import_file_check(data=data, filename=upload.name)
        except ImportRefused as refused:
            raise ValidationError([problem.message for problem in refused.problems])
        return upload


def import_upload_view(model_admin, request, kind):
    """The page behind a model's Import button: the form, then a redirect to the job's page."""
    if not model_admin.has_import_permission(request):
        raise PermissionDenied
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(kind=kind, upload=form.cleaned_data["import_file"], by=request.user,
                                dry_run=form.cleaned_data["dry_run"])
        return redirect(reverse("admin:fundops_importjob_change", args=[job.pk]))
    limits = Limits.from_settings()
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Import %(things)s") % {"things": model_admin.opts.verbose_name_plural},
        "form": form,
        "columns": IMPORTERS[kind].columns,
        "max_bytes": limits.max_bytes,
        "max_rows": limits.max_rows,
        "recent_jobs": ImportJob.objects.filter(kind=kind, created_by=request.user)[:5],
    }
    return TemplateResponse(request, "admin/fundops/import_upload.html", context)


def _visible_job(request, object_id):
    job = ImportJob.objects.filter(pk=object_id).select_related("created_by").first()
    if job is None or not (request.user.is_superuser or job.created_by_id == request.user.pk):
        raise Http404(_("No such import."))
    return job


def import_job_view(model_admin, request, object_id):
    """The job's page: it refreshes itself (a meta refresh, no script) while the worker runs."""
    job = _visible_job(request, object_id)
    problems = job.problems or []
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Import of %(file)s") % {"file": job.filename},
        "job": job,
        "refresh_seconds": REFRESH_SECONDS if job.is_pending else None,
        "problems": problems[:PROBLEMS_SHOWN],
        "problems_hidden": max(0, len(problems) - PROBLEMS_SHOWN),
        "changelist_url": reverse(CHANGELISTS[job.kind]) if job.kind in CHANGELISTS else "",
        "upload_url": reverse(CHANGELISTS[job.kind].replace("_changelist", "_import")) if job.kind in CHANGELISTS else "",
    }
    return TemplateResponse(request, "admin/fundops/import_job.html", context)


def import_job_confirm_view(model_admin, request, object_id):
    if request.method != "POST":
        return redirect(reverse("admin:fundops_importjob_change", args=[object_id]))
    job = _visible_job(request, object_id)
    try:
        import_job_confirm(job=job, by=request.user)
    except (ValidationError, PermissionDenied) as error:
        text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    return redirect(reverse("admin:fundops_importjob_change", args=[job.pk]))
