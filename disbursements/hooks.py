"""Where apps built on top of disbursements join in after a money event, without disbursements
importing them (imports flow one way). Each list holds callables that an upper app appends to in
its AppConfig.ready(); they run inside the same transaction as the event, so a failure undoes it.

- AFTER_GRANT_APPROVED: hook(grant, *, imported) — e.g. create the grant's report schedule.
- AFTER_PAYMENT_PAID: hook(grant) — after a payment is recorded paid.
- AFTER_BALANCE_RETURN: hook(grant) — after an unspent balance coming back is recorded.
"""
AFTER_GRANT_APPROVED = []
AFTER_PAYMENT_PAID = []
AFTER_BALANCE_RETURN = []


def run(hooks, grant, **kwargs):
    for hook in hooks:
        hook(grant, **kwargs)
