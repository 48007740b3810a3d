"""The money invariants, checked after the load test: `python -m loadtest.invariants` (DATABASE_URL set).

Per fund: committed (awards' base amounts less what cancellations released) ≤ received.
Per grant: paid (paid or reconciled, less balances returned) ≤ awarded, and paid plus pending ≤ awarded.
Exits 1, listing each breach, if any does not hold.
"""
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundops.settings")


def breaches():
    import django

    django.setup()
    from django.db.models import DecimalField, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from disbursements.models import PAID_STATES, PENDING_OR_PAID, BalanceReturn, Grant
    from fundops.models import Contribution, Fund

    zero = Value(Decimal("0"), output_field=DecimalField(max_digits=18, decimal_places=4))
    found = []
    for fund in Fund.objects.all():
        committed = Grant.objects.filter(fund=fund).aggregate(
            total=Coalesce(Sum("base_amount"), zero) - Coalesce(Sum("released_base_amount"), zero))["total"]
        received = Contribution.objects.filter(fund=fund, status=Contribution.Status.RECEIVED).aggregate(
            total=Coalesce(Sum("base_amount"), zero))["total"]
        if committed > received:
            found.append(f"fund {fund.slug}: committed {committed} > received {received}")
    returned = (BalanceReturn.objects.filter(grant=OuterRef("pk")).order_by().values("grant")
                .annotate(total=Sum("amount")).values("total"))
    grants = Grant.objects.annotate(
        paid=Coalesce(Sum("payments__amount", filter=Q(payments__state__in=PAID_STATES)), zero),
        out=Coalesce(Sum("payments__amount", filter=Q(payments__state__in=PENDING_OR_PAID)), zero),
        back=Coalesce(Subquery(returned), zero),
    )
    for grant in grants.filter(Q(paid__gt=0) | Q(out__gt=0)).iterator():
        if grant.paid - grant.back > grant.amount:
            found.append(f"grant {grant.reference}: paid {grant.paid} - returned {grant.back} > awarded {grant.amount}")
        if grant.out > grant.amount:
            found.append(f"grant {grant.reference}: paid and pending {grant.out} > awarded {grant.amount}")
    return found, Fund.objects.count(), Grant.objects.count()


def main():
    found, funds, grants = breaches()
    for line in found:
        print(f"BREACH {line}")
    print(f"money invariants: {funds} funds (committed ≤ received), {grants} grants (paid ≤ awarded): "
          f"{'all hold' if not found else f'{len(found)} breaches'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
