"""One donor report in a fresh process, for bench_reports: `python -m benchmarks.report_one SLUG FMT START END`.

Prints one JSON line: cold_seconds (the process's first report, libraries loading), seconds (the
next report, as a running worker makes it), queries, bytes, max RSS (MiB) after the first report.
"""
import json
import os
import resource
import sys
import time


def _peak_rss_mib():
    """This process's peak resident memory. /proc's VmHWM starts afresh at exec; getrusage's ru_maxrss
    would carry over the (larger) bench process that forked this one."""
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(slug, fmt, start, end):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundops.settings")
    import django

    django.setup()
    import datetime

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fundops.models import Fund
    from reports.selectors import Period
    from reports.services import file_donor_report

    fund = Fund.objects.get(slug=slug)
    period = Period(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        content = file_donor_report(fund=fund, period=period, fmt=fmt)
    cold = time.perf_counter() - started  # the first report of a fresh worker: its libraries load now
    rss = _peak_rss_mib()
    started = time.perf_counter()
    file_donor_report(fund=fund, period=period, fmt=fmt)
    warm = time.perf_counter() - started  # the next one
    print(json.dumps({"seconds": warm, "cold_seconds": cold, "queries": len(queries), "bytes": len(content),
                      "max_rss_mib": rss}))


if __name__ == "__main__":
    main(*sys.argv[1:5])
