"""Who may open what: every URL the site answers, admin included, for every role, GET and POST.

MATRIX is the table. Rows of the admin's model pages come from ADMIN_RULE, applied to every
registered ModelAdmin (a MATRIX row with the same name overrides the rule for one model). A URL
added without a row fails `test_every_url_has_a_row`; so does a row whose URL is gone.

The statuses are what DESIGN.md's roles table says is right, not merely what the code answers.
POSTs carry an empty body: the point is who is let in, not validation. Each cell runs in a savepoint
rolled back at once, so no request changes what the next one sees.
"""
import logging
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.test import override_settings
from django.urls import URLResolver, get_resolver, reverse
from import_export.admin import ExportMixin, ImportMixin

from tests.conftest import SignedInClient
from tests.permission_matrix_data import URL_KWARGS, build_world

# Each role, and its column heading in the tables.
ROLES = {
    "anonymous": "anon",
    "applicant": "appl",  # of the organisation that owns the applications and the grant
    "other_applicant": "appl2",  # of another organisation
    "reviewer": "rev",  # assigned to the application, no conflict declared
    "unassigned_reviewer": "rev2",
    "program_officer": "po",
    "finance_officer": "fo",
    "donor": "donor",  # contributed to the fund
    "other_donor": "donor2",  # contributed to another fund only
    "administrator": "admin",  # superuser, staff
}

# A cell is "GET/POST", or one code for both:
#   200 400 403 404 405     the status code
#   302                     a redirect anywhere but to a login page
#   login                   a redirect to a login page (the site's or the admin's) with ?next= to come back
# Applicant pages answer another organisation's objects with 404 (no hint they exist), other roles with
# 403; staff-only money pages answer 404 to everyone else. POST-only URLs answer GET with 405.
MATRIX = """
url                                             anon      appl      appl2     rev       rev2      po        fo        donor     donor2    admin
home                                            login     200       200       200       200       200       200       200       200       200
login                                           200       200       200       200       200       200       200       200       200       200
logout                                          405/302   405/302   405/302   405/302   405/302   405/302   405/302   405/302   405/302   405/302
verify                                          login     302       302       302       302       302       302       302       302       302
account_security                                login     200       200       200       200       200       200       200       200       200
security_authenticator                          login     200       200       200       200       200       200       200       200       200
security_recovery_codes                         login     405/302   405/302   405/302   405/302   405/200   405/200   405/302   405/302   405/200
security_turn_off                               login     405/302   405/302   405/302   405/302   405/302   405/302   405/302   405/302   405/302
password_reset                                  200       200       200       200       200       200       200       200       200       200
password_reset_done                             200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405
password_reset_confirm                          200       200       200       200       200       200       200       200       200       200
password_reset_complete                         200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405

# Accounts: an organisation registers itself (anyone signed out); staff verify it; its people invite
# colleagues; an invitation link (here a wrong one) is refused to everyone alike.
register                                        200/400   302       302       302       302       302       302       302       302       302
organizations_pending                           login     403       403       403       403       200       403       403       403       200
organization_verify                             405/login 405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/403   405/302
organization_reject                             405/login 405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/403   405/302
invite                                          login     200/400   200/400   403       403       403       403       403       403       403
invitation_accept                               400       400       400       400       400       400       400       400       400       400
organization_document                           login     200       404       404       404       200       404       404       404       200

# The inbox: everyone signed in has their own; another person's notification is 404.
notifications:inbox                             login     200       200       200       200       200       200       200       200       200
notifications:open                              login     302       404       404       404       404       404       404       404       404
notifications:read_all                          login     405/302   405/302   405/302   405/302   405/302   405/302   405/302   405/302   405/302
notifications:preferences                       login     200       200       200       200       200       200       200       200       200

# The applicant portal: own organisation only. Screening: program officers.
applications:list                               login     200       200       403       403       403       403       403       403       403
applications:create                             login     200       200       403       403       403       403       403       403       403
applications:organization                       login     200       200       403       403       403       403       403       403       403
applications:detail                             login     200       404       403       403       403       403       403       403       403
applications:edit                               login     200/302   404       403       403       403       403       403       403       403
applications:submit                             login     405/400   405/404   403       403       403       403       403       403       403
applications:withdraw                           login     200       404       403       403       403       403       403       403       403
applications:answer                             login     200       404       403       403       403       403       403       403       403
applications:attachment                         login     200       404       200       404       200       200       404       404       200
applications:screening                          login     403       403       403       403       200       403       403       403       200
applications:review_detail                      login     403       403       403       403       200/404   403       403       403       200/404
applications:pdf                                login     200       404       404       404       200       404       404       404       200

# Fund setup: program officers (and administrators) only.
fundsetup:funds                                 login     403       403       403       403       200/405   403       403       403       200/405
fundsetup:fund                                  login     403       403       403       403       200/400   403       403       403       200/400
fundsetup:fund_form_create                      login     403       403       403       403       405/302   403       403       403       405/302
fundsetup:call_create                           login     403       403       403       403       200/400   403       403       403       200/400
fundsetup:call                                  login     403       403       403       403       200/400   403       403       403       200/400
fundsetup:call_form_create                      login     403       403       403       403       405/302   403       403       403       405/302
fundsetup:call_copy                             login     403       403       403       403       200/400   403       403       403       200/400
fundsetup:questionnaire_edit                    login     403       403       403       403       200/302   403       403       403       200/302

# The reviewer workspace: own assignments only. The officer's review pages: program officers.
reviews:queue                                   login     403       403       200       200       403       403       403       403       200
reviews:ready                                   login     403       403       403       403       200/405   403       403       403       200/405
reviews:submitted                               login     403       403       200       200       403       403       403       403       200
reviews:declare                                 login     403       403       200       404       403       403       403       403       404
reviews:score                                   login     403       403       200       404       403       403       403       403       404
reviews:panel_vote                              login     403       403       405/302   405/404   403       403       403       403       405/404
reviews:calls                                   login     403       403       403       403       200       403       403       403       200
reviews:assign                                  login     403       403       403       403       200       403       403       403       200
reviews:assign_application                      login     403       403       403       403       200       403       403       403       200
reviews:ranking                                 login     403       403       403       403       200       403       403       403       200
reviews:ranking_export                          login     403       403       403       403       200       403       403       403       200
reviews:reopen                                  login     403       403       403       403       405/302   403       403       403       405/302
reviews:rubric_edit                             login     403       403       403       403       200       403       403       403       200
reviews:rubric_create_for_call                  login     403       403       403       403       405/302   403       403       403       405/302
reviews:rubric_create_for_fund                  login     403       403       403       403       405/302   403       403       403       405/302

# Awards: program officers decide, never finance. Payments: finance officers, never program officers.
disbursements:approve                           login     403       403       403       403       200       403       403       403       200
disbursements:grant_detail                      login     404       404       404       404       200       200       404       404       200
disbursements:grant_cancel                      405/login 405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/403   405/302
disbursements:award_letter                      login     200       404       404       404       200       200       404       404       200
disbursements:workspace                         login     403       403       403       403       403       200       403       403       200
disbursements:schedule                          login     403       403       403       403       403       200       403       403       200
disbursements:payment_approve                   405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:payment_record                    login     403       403       403       403       403       200       403       403       200
disbursements:payment_change                    405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:reconcile                         login     403       403       403       403       403       200       403       403       200
disbursements:statement_line_resolve            405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:balance_return                    405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:tranche_hold                      405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
# Finance pages for payout accounts, payment batches, bank settings: finance officers (and admins) only.
disbursements:payments                          login     403       403       403       403       403       200/405   403       403       200/405
disbursements:payments_approve_many             405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:payment_review                    login     403       403       403       403       403       200/405   403       403       200/405
disbursements:payment_reveal_account            405/login 405/403   405/403   405/403   405/403   405/403   405/200   405/403   405/403   405/200
disbursements:payment_choose_account            405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:accounts                          login     403       403       403       403       403       200/405   403       403       200/405
disbursements:account_detail                    login     403       403       403       403       403       200       403       403       200
disbursements:account_verify                    405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:organization_accounts             login     403       403       403       403       403       200       403       403       200
disbursements:batches                           login     403       403       403       403       403       200/405   403       403       200/405
disbursements:batch_create                      405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:batch_detail                      login     403       403       403       403       403       200/405   403       403       200/405
disbursements:batch_export                      405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:batch_change                      405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:bank_settings                     login     403       403       403       403       403       200       403       403       200
disbursements:mapping_edit                      login     403       403       403       403       403       200       403       403       200
disbursements:statement_line_link               405/login 405/403   405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/302
disbursements:funds                             login     404       404       404       404       200       200       404       404       200
disbursements:fund_dashboard                    login     404       404       404       404       200       200       404       404       200

# Donor reports: a donor sees only the funds they gave to; fund staff generate any fund's.
reports:portal                                  login     403       403       403       403       200       200       200       200       200
reports:fund                                    login     404       404       404       404       404       404       200       404       404
reports:fund_reports                            login     403       403       403       403       200       200       403       403       200
reports:download                                login     404       404       404       404       200       200       200       404       200

# After the award: the grantee's grant and reports (own organisation; staff read), officers review; the
# learning library is public.
grantee_reports:learning                        200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405   200/405
grantee_reports:grant                           login     200/405   404/405   403/405   403/405   200/405   200/405   403/405   403/405   200/405
grantee_reports:signed_letter                   405/login 405/302   405/404   405/403   405/403   405/403   405/403   405/403   405/403   405/403
grantee_reports:document                        login     200/405   404/405   403/405   403/405   200/405   200/405   403/405   403/405   200/405
grantee_reports:report                          login     200/400   404       403       403       403       403       403       403       403
grantee_reports:attachment                      login     200/405   404/405   403/405   403/405   200/405   200/405   403/405   403/405   200/405
grantee_reports:attachment_remove               405/login 405/302   405/404   405/403   405/403   405/403   405/403   405/403   405/403   405/403
grantee_reports:queue                           login     403       403       403       403       200/405   403       403       403       200/405
grantee_reports:review                          login     403       403       403       403       200/404   403       403       403       200/404
grantee_reports:requirements                    login     403       403       403       403       200/400   403       403       403       200/400
grantee_reports:requirement_edit                login     403       403       403       403       200/400   403       403       403       200/400
grantee_reports:requirement_remove              405/login 405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/403   405/302
grantee_reports:requirement_form                405/login 405/403   405/403   405/403   405/403   405/302   405/403   405/403   405/403   405/302

# The admin site itself. Program and finance officers are not admin users: they are sent to sign in.
admin:index                                     login     login     login     login     login     login     login     login     login     200
admin:login                                     302       302       302       302       302       302       302       302       302       302
admin/login/                                    302       302       302       302       302       302       302       302       302       302
admin:logout                                    302       302       302       302       302       302       302       302       302       405/302
admin:password_change                           login     login     login     login     login     login     login     login     login     200
admin:password_change_done                      login     login     login     login     login     login     login     login     login     200/405
admin:autocomplete                              login     login     login     login     login     login     login     login     login     403/405
admin:jsi18n                                    login     login     login     login     login     login     login     login     login     200/405
admin:view_on_site                              login     login     login     login     login     login     login     login     login     302
admin:app_list                                  login     login     login     login     login     login     login     login     login     200
admin/(?P<url>.*)$                              login     login     login     login     login     login     login     login     login     404
admin:auth_user_password_change                 login     login     login     login     login     login     login     login     login     200
admin:otp_totp_totpdevice_config                login     login     login     login     login     login     login     login     login     403
admin:otp_totp_totpdevice_qrcode                login     login     login     login     login     login     login     login     login     403
admin:fundops_importjob_confirm                 login     login     login     login     login     login     login     login     login     302
admin:fundops_organization_at_risk              login     login     login     login     login     login     login     login     login     200

# Admin model pages where ADMIN_RULE does not hold: rows only a service writes, records kept as evidence.
admin:applications_attachment_add               login     login     login     login     login     login     login     login     login     403
admin:applications_attachment_change            login     login     login     login     login     login     login     login     login     200/302
admin:applications_inforequest_add              login     login     login     login     login     login     login     login     login     403
admin:applications_inforequest_change           login     login     login     login     login     login     login     login     login     200/302
admin:axes_accessattempt_add                    login     login     login     login     login     login     login     login     login     403
admin:axes_accessattempt_change                 login     login     login     login     login     login     login     login     login     200/302
admin:axes_accessfailurelog_add                 login     login     login     login     login     login     login     login     login     403
admin:axes_accessfailurelog_change              login     login     login     login     login     login     login     login     login     200/302
admin:axes_accesslog_add                        login     login     login     login     login     login     login     login     login     403
admin:axes_accesslog_change                     login     login     login     login     login     login     login     login     login     200/302
admin:disbursements_grant_add                   login     login     login     login     login     login     login     login     login     403
admin:disbursements_payment_add                 login     login     login     login     login     login     login     login     login     403
admin:disbursements_payment_change              login     login     login     login     login     login     login     login     login     200/302
admin:disbursements_tranche_add                 login     login     login     login     login     login     login     login     login     403
admin:disbursements_payoutaccount_add           login     login     login     login     login     login     login     login     login     403
admin:disbursements_payoutaccount_change        login     login     login     login     login     login     login     login     login     200/403
admin:disbursements_payoutaccount_delete        login     login     login     login     login     login     login     login     login     403
admin:disbursements_paymentbatch_add            login     login     login     login     login     login     login     login     login     403
admin:disbursements_paymentbatch_change         login     login     login     login     login     login     login     login     login     200/302
admin:disbursements_balancereturn_add           login     login     login     login     login     login     login     login     login     403
admin:disbursements_balancereturn_change        login     login     login     login     login     login     login     login     login     200/302
admin:fundops_notification_add                  login     login     login     login     login     login     login     login     login     403
admin:fundops_notification_change               login     login     login     login     login     login     login     login     login     200/302
admin:django_tasks_database_dbtaskresult_add    login     login     login     login     login     login     login     login     login     403
admin:django_tasks_database_dbtaskresult_change login     login     login     login     login     login     login     login     login     200/403
admin:django_tasks_database_dbtaskresult_delete login     login     login     login     login     login     login     login     login     403
admin:fundops_auditentry_add                    login     login     login     login     login     login     login     login     login     403
admin:fundops_auditentry_change                 login     login     login     login     login     login     login     login     login     200/403
admin:fundops_auditentry_delete                 login     login     login     login     login     login     login     login     login     403
admin:fundops_importjob_add                     login     login     login     login     login     login     login     login     login     403
admin:fundops_importjob_delete                  login     login     login     login     login     login     login     login     login     403
admin:reviews_assignment_add                    login     login     login     login     login     login     login     login     login     302
admin:reviews_conflictdeclaration_add           login     login     login     login     login     login     login     login     login     302
admin:reviews_conflictdeclaration_change        login     login     login     login     login     login     login     login     login     200/302
admin:reviews_conflictdeclaration_delete        login     login     login     login     login     login     login     login     login     403
admin:reviews_review_add                        login     login     login     login     login     login     login     login     login     302
admin:reviews_criterion_add                     login     login     login     login     login     login     login     login     login     302
admin:reviews_criterion_change                  login     login     login     login     login     login     login     login     login     200/302
admin:grantee_reports_grantreport_add           login     login     login     login     login     login     login     login     login     403
"""

# Every ModelAdmin's pages (import/export ones where the admin has them), unless MATRIX has the row:
# only the administrator gets in; everyone else, officers included, is sent to sign in.
ADMIN_RULE = """
kind                                            anon      appl      appl2     rev       rev2      po        fo        donor     donor2    admin
changelist                                      login     login     login     login     login     login     login     login     login     200
add                                             login     login     login     login     login     login     login     login     login     200
change                                          login     login     login     login     login     login     login     login     login     200
delete                                          login     login     login     login     login     login     login     login     login     200
history                                         login     login     login     login     login     login     login     login     login     200
object                                          login     login     login     login     login     login     login     login     login     302
import                                          login     login     login     login     login     login     login     login     login     200
process_import                                  login     login     login     login     login     login     login     login     login     302
export                                          login     login     login     login     login     login     login     login     login     200
"""


# The tables as {row: {role: (GET, POST)}} ------------------------------------------------


def parse_table(text):
    lines = [line.split() for line in text.strip().splitlines() if line.strip() and not line.startswith("#")]
    header, rows = lines[0], lines[1:]
    assert header[1:] == list(ROLES.values()), f"table columns must be {list(ROLES.values())}, not {header[1:]}"
    table = {}
    for row in rows:
        assert len(row) == len(header), f"row {row[0]} has {len(row) - 1} cells, not {len(ROLES)}"
        assert row[0] not in table, f"row {row[0]} appears twice"
        table[row[0]] = {role: _cell(code) for role, code in zip(ROLES, row[1:])}
    return table


def _cell(code):
    get, _, post = code.partition("/")
    return (get, post or get)


def admin_rule_rows():
    """{url key: (model, kind)} for every page ADMIN_RULE covers: each registered model × each kind it has."""
    rows = {}
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        kinds = ["changelist", "add", "change", "delete", "history"]
        if isinstance(model_admin, ImportMixin):
            kinds += ["import", "process_import"]
        if isinstance(model_admin, ExportMixin):
            kinds += ["export"]
        for kind in kinds:
            rows[f"{prefix}_{kind}"] = (model, kind)
        # The bare object URL (no name) redirects to the change page.
        rows[f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/"] = (model, "object")
    return rows


RULE = parse_table(ADMIN_RULE)
EXPLICIT = parse_table(MATRIX)
ADMIN_ROWS = admin_rule_rows()
EXPECTED = {**{key: RULE[kind] for key, (model, kind) in ADMIN_ROWS.items()}, **EXPLICIT}


# The site's URLs -----------------------------------------------------------------------


def site_urls():
    """{key: route} for every URL pattern: 'namespace:name', or the route itself for an unnamed one."""
    found = {}

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part)
                walk(pattern.url_patterns, route, inner)
                continue
            key = route if not pattern.name else ":".join(part for part in (namespace, pattern.name) if part)
            assert key not in found, f"two URL patterns answer to {key}"
            found[key] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def path_for(key, world):
    if key in ADMIN_ROWS:
        model, kind = ADMIN_ROWS[key]
        kwargs = {} if kind in ("changelist", "add", "import", "process_import", "export") else {
            "object_id": model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        }
    else:
        kwargs = {name: world.values.get(value, value) for name, value in URL_KWARGS.get(key, {}).items()}
    if "/" not in key:
        return reverse(key, kwargs=kwargs)
    # Unnamed patterns: put the arguments into the route itself.
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", key).lstrip("^").rstrip("$")
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(kwargs[match[1]]), route)


# Running the cells ---------------------------------------------------------------------


def outcome(response):
    if response.status_code in (301, 302, 303, 307, 308):
        target = urlsplit(response["Location"])
        if target.path in (reverse("login"), reverse("admin:login")) and "next" in parse_qs(target.query):
            return "login"
        return "302"
    return str(response.status_code)


def attempt(send):
    """One request in a savepoint rolled back straight after: nothing it writes outlives it."""
    savepoint = transaction.savepoint()
    try:
        return outcome(send())
    except Exception as error:  # an unhandled error is a cell like any other: report it, go on
        return f"500:{type(error).__name__}"
    finally:
        transaction.savepoint_rollback(savepoint)


def observe(client, session_key, path):
    """(GET, POST) as the person whose session this is (None: anonymous)."""
    cells = []
    for send in (client.get, client.post):
        client.cookies = SimpleCookie()
        if session_key:
            client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        cells.append(attempt(lambda: send(path)))
    return tuple(cells)


def format_cell(get, post):
    return get if get == post else f"{get}/{post}"


def format_row(key, cells):
    return (f"{key:<48}" + "".join(f"{format_cell(*cells[role]):<10}" for role in ROLES)).rstrip()


# Fixtures ------------------------------------------------------------------------------


def sign_in(users):
    """{role: session key}, signed in as the suite's client signs people in (staff past the second factor)."""
    sessions = {}
    for role, user in users.items():
        if user is None:
            sessions[role] = None
            continue
        signed_in = SignedInClient()
        signed_in.force_login(user)
        sessions[role] = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    return sessions


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction rolled back at its end; each test nests in it."""
    media = tmp_path_factory.mktemp("permission-matrix-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
        with transaction.atomic():
            built = build_world()
            built.media_root = media
            built.sessions = sign_in(built.users)
            yield built
            transaction.set_rollback(True)


@pytest.fixture
def matrix_client(world, client, settings):
    # The documents and the donor report were stored in the world's media folder.
    settings.MEDIA_ROOT = world.media_root
    # Hundreds of expected 403s and 404s would each be logged with a traceback.
    requests_log = logging.getLogger("django.request")
    level = requests_log.level
    requests_log.setLevel(logging.CRITICAL)
    yield client
    requests_log.setLevel(level)


# Tests ---------------------------------------------------------------------------------


def test_the_table_has_exactly_the_ten_roles():
    assert list(ROLES) == [
        "anonymous", "applicant", "other_applicant", "reviewer", "unassigned_reviewer",
        "program_officer", "finance_officer", "donor", "other_donor", "administrator",
    ]
    for row in EXPECTED.values():
        assert list(row) == list(ROLES)


def test_every_url_has_a_row():
    urls = set(site_urls())
    missing = sorted(urls - set(EXPECTED))
    gone = sorted(set(EXPECTED) - urls)
    assert not missing, "URLs without a row in the permission matrix:\n" + "\n".join(missing)
    assert not gone, "rows of the permission matrix whose URL no longer exists:\n" + "\n".join(gone)


@pytest.mark.django_db
@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_permission_row(key, world, matrix_client):
    path = path_for(key, world)
    expected = EXPECTED[key]
    got = {role: observe(matrix_client, world.sessions[role], path) for role in ROLES}
    wrong = [role for role in ROLES if got[role] != expected[role]]
    assert not wrong, (
        f"{path}: wrong for {', '.join(wrong)}\n"
        + format_row("", {role: (ROLES[role], ROLES[role]) for role in ROLES}) + "\n"
        + format_row("expected", expected) + "\n" + format_row("got", got)
    )
