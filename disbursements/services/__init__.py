"""Every write where money moves, one module per noun: awards (grants, tranches, holds), payments,
accounts (where grantees are paid), batches (payment files for the bank), balances (unspent money
coming back), statements (bank reconciliation; statement_formats reads the files), history
(imported payments).

Views, admin actions, the demo and the historical import all call these functions through this
package (`from disbursements.services import payment_record`); the names below are its public face,
plus the few private helpers other code already reaches for. DESIGN.md's money invariants are
protected in the modules, with row locks taken in one fixed order — the fund, then the grant, then
the payment — so two people acting at once wait for each other, never deadlock.
"""
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: F401  (tests and doors catch these from here)

from ._common import (  # noqa: F401
    IMPORTED_NOTE, ONE_HUNDRED, ZERO, PaymentRecorded, _audit, _audit_event, _fresh, _grant_url, _locked_fund, _locked_grant,
    _locked_payment, _parse_money, _parse_rate, _require, _require_finance, _sum,
)
from .awards import (  # noqa: F401
    _check_against_request, _next_reference, fund_available, grant_approve, grant_cancel, grant_release_unpaid, tranche_hold,
    tranche_release, tranche_split,
)
from .balances import balance_return_record, grant_returned  # noqa: F401
from .history import IMPORT_STATES, _grouped_sums, payment_import, payments_import  # noqa: F401
from .payments import (  # noqa: F401
    _after_paid, _already_recorded, _check_grant_payable, _check_room, _clean_reference, _payment_create,
    _save_reference, _tell_finance_of_failure, grant_paid, grant_pending_or_paid, may_approve, payment_approve,
    payment_cancel, payment_fail, payment_reconcile, payment_record, payment_return, payment_schedule,
    payment_set_account, tranche_pending_or_paid,
)
from .statement_formats import (  # noqa: F401
    STATEMENT_COLUMNS, ParsedStatement, StatementError, _parse_statement, statement_format_of, statement_parse,
)
from .statements import (  # noqa: F401
    bank_statement_reconcile, fee_tolerance, statement_line_link, statement_line_resolve,
)
from .accounts import (  # noqa: F401
    account_authors, clean_payout_details, default_payout_account, iban_applies, payout_account_create,
    payout_account_reject, payout_account_reveal, payout_account_update, payout_account_verify,
)
from .batches import (  # noqa: F401
    PAIN_001, batch_file_kind, batch_total, payment_batch_create, payment_batch_export, payment_batch_mark_sent,
    payment_batch_paid, payment_batch_remove,
)
