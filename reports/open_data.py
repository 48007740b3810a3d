"""Open data: a fund's grants as a 360Giving grant package, and its validation against the local schema.

At-risk grantees are published the way fundops/disclosure.py says (docs/disclosure.md): no name, no
identifying number, a pseudonym of this fund's file, located only by a group of at least three
at-risk organisations, dated to the quarter — and no title or description of theirs, since free
text written by or about a grantee can name it or its town.
"""
import datetime
import json
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_countries import countries

from disbursements.models import PAID_STATES, Grant
from fundops import disclosure
from fundops.regions import region_for

SCHEMA_VERSION = "1.4"
PACKAGE_SCHEMA = "360-giving-package-schema.json"
GRANT_SCHEMA = "360-giving-schema.json"
# The package schema names the grant schema by this URL; we register the local copy under it.
GRANT_SCHEMA_URL = "https://raw.githubusercontent.com/ThreeSixtyGiving/standard/1.4.2/schema/360-giving-schema.json"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
THEME_VOCABULARY = "fundops-themes"


def default_schema_dir():
    return Path(getattr(settings, "FUNDOPS_360GIVING_SCHEMA_DIR", settings.BASE_DIR.parent / "shared" / "data" / "360giving"))


def _number(amount):
    """A Decimal as a JSON number. Amounts have at most 15 significant digits, and a float's
    repr() is the shortest text that round-trips, so the file shows exactly the stored amount."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _funder():
    return {
        "id": getattr(settings, "FUNDOPS_FUNDER_ORG_ID", settings.FUNDOPS_ORG_PREFIX),
        "name": getattr(settings, "FUNDOPS_FUNDER_NAME", "Grassroots Justice Network"),
    }


SCOPE = "360giving"  # the kind of file, part of an undisclosed organisation's pseudonym


def _recipient(organization, fund, groups):
    if organization.at_risk:
        # A pseudonym under the publisher's org prefix, different in every fund's file: it points
        # at nobody outside the fund and does not link the organisation's grants across funds.
        pseudonym = disclosure.organisation_pseudonym(organization, fund=fund, scope=SCOPE)
        return {
            "id": f"{settings.FUNDOPS_ORG_PREFIX}-{pseudonym}",
            "name": disclosure.public_organization_name(organization),
            "location": [{"name": groups[region_for(organization.country.code)].label}],
        }
    code = organization.country.code
    recipient = {
        "id": organization.org_id,
        "name": disclosure.public_organization_name(organization),
        "addressCountry": countries.name(code),
        "location": [{"name": countries.name(code), "countryCode": code, "geoCode": code}],
    }
    if organization.city:
        recipient["addressLocality"] = organization.city
    return recipient


def _beneficiary_locations(grant, groups):
    codes = grant.application.country_codes
    if grant.organization.at_risk:
        return [{"name": label} for label in sorted({groups[region_for(code)].label for code in codes})]
    return [{"name": countries.name(code), "countryCode": code, "geoCode": code} for code in codes]


def _planned_dates(application):
    if not application.planned_start:
        return None
    event = {"startDate": application.planned_start.isoformat()}
    if application.planned_end:
        event["endDate"] = application.planned_end.isoformat()
        start, end = application.planned_start, application.planned_end
        event["duration"] = max(0, (end.year - start.year) * 12 + end.month - start.month)
    return [event]


def grant_record(grant, groups):
    """One grant in the 360Giving shape (the grant schema's field names).

    `groups` are fundops.disclosure's undisclosed groups for the file's at-risk grants. An
    undisclosed grant is published as little as the schema allows: a generic title, its award in
    the fund's base currency (a grant currency of its own would hint at its country), awarded on
    the first day of its quarter (awardDate must be a whole date), and nothing planned or applied for.
    """
    application, organization, fund = grant.application, grant.organization, grant.fund
    record = {"id": f"{settings.FUNDOPS_PUBLISHER_PREFIX}-{disclosure.public_grant_reference(grant)}"}
    decided_on = timezone.localtime(grant.decided_at).date()
    if organization.at_risk:
        record.update({
            "title": _("%(fund)s grant") % {"fund": fund.name},
            "description": _("A grant to an organisation whose name and location are withheld for its safety."),
            "currency": fund.base_currency,
            "amountAwarded": _number(grant.base_amount),
            "amountDisbursed": _number(grant.disbursed_base or Decimal(0)),
            "awardDate": disclosure.quarter_start(decided_on).isoformat(),
        })
    else:
        title = application.title or _("%(fund)s grant") % {"fund": fund.name}
        record.update({
            "title": title,
            "description": application.summary or title,
            "currency": grant.currency,
            "amountAwarded": _number(grant.amount),
            "amountDisbursed": _number(grant.disbursed or Decimal(0)),
            "awardDate": decided_on.isoformat(),
        })
    record.update({
        "recipientOrganization": [_recipient(organization, fund, groups)],
        "fundingOrganization": [_funder()],
        "grantProgramme": [{"code": fund.slug, "title": fund.name}],
        "beneficiaryLocation": _beneficiary_locations(grant, groups),
    })
    if organization.at_risk:
        if application.call_id:
            record["fromOpenCall"] = "Yes"
        return record
    if application.requested_amount and application.requested_currency == grant.currency:
        record["amountAppliedFor"] = _number(application.requested_amount)
    planned = _planned_dates(application)
    if planned:
        record["plannedDates"] = planned
    if application.themes:
        record["classifications"] = [
            {"vocabulary": THEME_VOCABULARY, "code": slugify(theme), "title": theme} for theme in application.themes
        ]
    if application.call_id:
        record["fromOpenCall"] = "Yes"
    return record


def fund_grants(fund):
    """Grants a fund publishes: every standing award, and cancelled ones that paid something out."""
    return (
        Grant.objects.filter(fund=fund)
        .select_related("application", "organization", "fund")
        .annotate(
            disbursed=Sum("payments__amount", filter=Q(payments__state__in=PAID_STATES)),
            disbursed_base=Sum("payments__base_amount", filter=Q(payments__state__in=PAID_STATES)),
        )
        .filter(Q(status=Grant.Status.ACTIVE) | Q(disbursed__gt=0))
    )


def grant_package(fund, *, issued=None):
    """The fund's grants as a 360Giving package ({"grants": [...]} plus metadata).

    Grants are listed in order of their opaque public reference, so neither the order of award
    nor the place of an undisclosed grant among named ones can be read from the file.
    """
    issued = issued or timezone.localdate()
    grants = list(fund_grants(fund))
    # The organisation's own country is where its recipient record points, so it joins the groups too.
    groups = disclosure.undisclosed_groups_for(
        (g.organization_id, [*g.application.country_codes, g.organization.country.code])
        for g in grants if g.organization.at_risk
    )
    records = sorted((grant_record(grant, groups) for grant in grants), key=lambda record: record["id"])
    return {
        "version": SCHEMA_VERSION,
        "title": _("%(fund)s: grants") % {"fund": fund.name},
        "description": _("Grants made by the %(fund)s, published with the 360Giving Data Standard.") % {"fund": fund.name},
        "issued": issued.isoformat() if isinstance(issued, datetime.date) else issued,
        "publisher": _funder(),
        "license": LICENSE,
        "grants": records,
    }


def package_errors(package, schema_dir=None):
    """Every way the package breaks the 360Giving schema, as readable lines; [] when valid.

    The package schema's $ref to the grant schema resolves to the local copy (a `referencing`
    Registry), so validating never touches the network.
    """
    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    schema_dir = Path(schema_dir or default_schema_dir())
    package_schema = json.loads((schema_dir / PACKAGE_SCHEMA).read_text(encoding="utf-8"))
    grant_schema = json.loads((schema_dir / GRANT_SCHEMA).read_text(encoding="utf-8"))
    # The schemas say "http://json-schema.org/draft/2020-12/schema" (http, not https), which
    # `referencing` does not recognise as a dialect: name the draft explicitly.
    grant_resource = DRAFT202012.create_resource(grant_schema)
    registry = Registry().with_resources([(GRANT_SCHEMA_URL, grant_resource), (grant_schema["$id"], grant_resource)])
    validator = Draft202012Validator(
        package_schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    lines = []
    for error in sorted(validator.iter_errors(package), key=lambda e: list(map(str, e.absolute_path))):
        # A oneOf failure ("not valid under any of the given schemas") hides its reasons in
        # .context; show those instead, they say what is actually missing or wrong.
        for leaf in _leaves(error):
            line = f"{'/'.join(str(part) for part in leaf.absolute_path) or '(package)'}: {leaf.message}"
            if line not in lines:
                lines.append(line)
    return lines


def _leaves(error):
    if not error.context:
        return [error]
    return [leaf for sub in error.context for leaf in _leaves(sub)]
