"""Demo part 5: one ready PDF report of the COVID-19 fund in the demo donor's portal.

Idempotent: the request is looked up by fund, donor, format and requester before it is made;
it is generated here, synchronously, so the demo works before any worker has started.
"""
from django.utils import timezone

from fundops.demo import COVID_SLUG
from fundops.models import Fund, User

from .models import ReportRequest
from .services import report_request_run


def load(stdout):
    fund = Fund.objects.filter(slug=COVID_SLUG).first()
    donor_user = User.objects.filter(username="donor").select_related("donor").first()
    if fund is None or donor_user is None or donor_user.donor is None:
        return
    report_request, created = ReportRequest.objects.get_or_create(
        fund=fund,
        donor=donor_user.donor,
        format=ReportRequest.Format.PDF,
        requested_by=donor_user,
        defaults={"period_start": fund.opens_on, "period_end": timezone.localdate()},
    )
    if created:
        report_request_run(report_request_id=report_request.pk)
    stdout.write(f"Demo donor report: {report_request.get_status_display().lower()}.")
