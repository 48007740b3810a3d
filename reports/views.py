"""The donor portal (a donor's funds and their reports) and staff report generation."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.urls import reverse
from django.utils import timezone

from fundops import roles
from fundops.models import Fund

from . import selectors, services
from .forms import ReportRequestForm
from .models import ReportRequest


def is_report_staff(user):
    """Fund staff may generate any fund's report."""
    return roles.is_program_officer(user) or roles.is_finance_officer(user)


def _donor_fund_or_404(user, slug):
    if not roles.is_donor(user) or user.donor_id is None:
        raise Http404("No such fund among yours.")
    return get_object_or_404(selectors.donor_funds(donor=user.donor), slug=slug)


@login_required
def portal(request):
    if roles.is_donor(request.user) and request.user.donor_id:
        funds = selectors.donor_funds(donor=request.user.donor)
        return render(request, "reports/portal.html", {"funds": funds, "staff": False, "donor": request.user.donor})
    if is_report_staff(request.user):
        return render(request, "reports/portal.html", {"funds": Fund.objects.order_by("name"), "staff": True})
    raise PermissionDenied


def _fund_page(request, fund, *, donor, staff):
    form = ReportRequestForm(
        request.POST or None,
        fund=fund,
        staff=staff,
        initial={"period_start": fund.opens_on, "period_end": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.report_request_create(
                fund=fund,
                donor=data.get("donor") if staff else donor,
                period_start=data["period_start"],
                period_end=data["period_end"],
                format=data["format"],
                by=request.user,
            )
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, "Your report is being generated. This page updates itself until it is ready.")
            return redirect(request.path)
    requests = selectors.report_requests_for(fund=fund, donor=None if staff else donor)[:50]
    return render(
        request,
        "reports/fund.html",
        {"fund": fund, "form": form, "requests": requests, "staff": staff,
         "pending": any(r.is_pending for r in requests)},
    )


@login_required
def fund(request, slug):
    fund = _donor_fund_or_404(request.user, slug)
    return _fund_page(request, fund, donor=request.user.donor, staff=False)


@login_required
def fund_reports(request, slug):
    if not is_report_staff(request.user):
        raise PermissionDenied
    return _fund_page(request, get_object_or_404(Fund, slug=slug), donor=None, staff=True)


@login_required
def download(request, pk):
    report_request = get_object_or_404(ReportRequest.objects.select_related("fund", "donor"), pk=pk)
    if not is_report_staff(request.user):
        # A donor reaches only their own donor's reports of funds they gave to; anything else does not exist.
        fund = _donor_fund_or_404(request.user, report_request.fund.slug)
        if report_request.donor_id != request.user.donor_id or fund.pk != report_request.fund_id:
            raise Http404("No such report.")
    if report_request.status != ReportRequest.Status.DONE or not report_request.file:
        messages.info(request, "That report is not ready yet.")
        return redirect(reverse("reports:fund", args=[report_request.fund.slug]) if not is_report_staff(request.user)
                        else reverse("reports:fund_reports", args=[report_request.fund.slug]))
    return FileResponse(report_request.file.open("rb"), as_attachment=True, filename=report_request.download_name)
