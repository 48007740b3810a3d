"""What grantee reports do when disbursements says money moved (disbursements.hooks; registered in
apps.py). Each runs inside the disbursement's own transaction."""
from . import services


def after_grant_approved(grant, *, imported=False):
    """An approved grant gets its report schedule (imported history gets none)."""
    services.grant_schedule_create(grant=grant, imported=imported)


def after_payment_paid(grant):
    """Reports due "N days after tranche k" count from the payment; the last payment may close the grant."""
    services.schedule_follow_payments(grant)
    services.grant_close_if_complete(grant=grant)


def after_balance_return(grant):
    """An unspent balance came back: the grant may now close."""
    services.grant_close_if_complete(grant=grant)
