"""What the fund may publish about a grantee: the one place that hides at-risk organisations.

Donor reports, exports and open data all ask here (the rule is written out in docs/disclosure.md).
An at-risk organisation is never named, its country never shown; its grants count only towards a
group of at least three at-risk organisations (its region, else its continent, else one catch-all),
are dated only to the quarter, and carry identifiers that reveal no order, count or link.
"""
import datetime
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .regions import UNKNOWN_REGION, continent_of_region, region_for

UNDISCLOSED_ORGANISATION = gettext_noop("Undisclosed organisation")
# A published group of undisclosed grants covers at least this many organisations (small-cell rule).
MIN_ORGANISATIONS = 3

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread
_GRANT_PURPOSE = "fundops.disclosure.grant-reference"
_ORGANISATION_PURPOSE = "fundops.disclosure.organisation-pseudonym"


def _code(purpose, *parts, length=12):
    """`length` base-32 characters of an HMAC-SHA256 keyed by the site's secret.

    The purpose string keeps a grant reference and an organisation pseudonym from ever being
    the same function of the same number; without the key neither can be computed or reversed.
    """
    key = (getattr(settings, "FUNDOPS_DISCLOSURE_KEY", "") or settings.SECRET_KEY).encode("utf-8")
    message = "\x1f".join([purpose, *(str(part) for part in parts)]).encode("utf-8")
    number = int.from_bytes(hmac.new(key, message, hashlib.sha256).digest(), "big")
    return "".join(_ALPHABET[(number >> (5 * i)) & 31] for i in range(length))


def public_grant_reference(grant):
    """The reference donors and the public see for a grant, named or not: "G-7KQ2-M9XD-4TRW".

    Stable for a grant (a keyed hash of its id), it reveals neither the order in which grants were
    made nor how many there are, so the internal sequence (GJN-COVID19-2020-002) and its gaps
    never leave the fund.
    """
    code = _code(_GRANT_PURPOSE, getattr(grant, "pk", grant))
    return f"G-{code[:4]}-{code[4:8]}-{code[8:12]}"


def organisation_pseudonym(organization, *, fund, scope):
    """An at-risk organisation's identifier in one published file: different in every fund and
    kind of file (`scope`, e.g. "360giving"), so two files or two funds cannot be joined on it."""
    return "U-" + _code(_ORGANISATION_PURPOSE, getattr(fund, "pk", fund), scope, getattr(organization, "pk", organization))


def public_organization_name(organization):
    return _(UNDISCLOSED_ORGANISATION) if organization.at_risk else organization.name


def quarter_label(day):
    """"2020-Q2": the only date an undisclosed grant or payment is given."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(day):
    """The first day of the quarter, for formats that need a whole date (360Giving's awardDate)."""
    return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def undisclosed_region_label(region):
    return _("%(region)s — undisclosed countries") % {"region": region}


def undisclosed_catch_all_label():
    return _("Undisclosed countries and regions")


@dataclass(frozen=True)
class UndisclosedGroup:
    """Where undisclosed grants of one region are published: `level` is "region", "continent" or "all"."""

    label: str
    level: str
    place: str  # the region or continent named in the label; "" for the catch-all

    @property
    def is_catch_all(self):
        return self.level == "all"


def undisclosed_groups(organisations_by_region, minimum=MIN_ORGANISATIONS):
    """{region: UndisclosedGroup} for at-risk grants, given the at-risk organisations working in each region.

    A region is published on its own only when it covers at least `minimum` organisations; the
    regions too small are pooled by continent, kept when the pool reaches `minimum`, and whatever
    is left goes into one catch-all group — which may cover fewer (docs/disclosure.md says why).
    A region is either shown whole or not at all, so no published figure is a small group plus
    or minus one that is shown.
    """
    groups, small_by_continent = {}, {}
    for region, organisations in organisations_by_region.items():
        if region != UNKNOWN_REGION and len(organisations) >= minimum:
            groups[region] = UndisclosedGroup(undisclosed_region_label(region), "region", region)
        else:
            small_by_continent.setdefault(continent_of_region(region), {})[region] = set(organisations)
    catch_all = UndisclosedGroup(undisclosed_catch_all_label(), "all", "")
    for continent, regions in small_by_continent.items():
        pooled = set().union(*regions.values())
        if continent != UNKNOWN_REGION and len(pooled) >= minimum:
            group = UndisclosedGroup(undisclosed_region_label(continent), "continent", continent)
        else:
            group = catch_all
        groups.update(dict.fromkeys(regions, group))
    return groups


def undisclosed_groups_for(grants):
    """The groups for an iterable of (organisation id, country codes) of at-risk grants."""
    organisations_by_region = {}
    for organisation_id, country_codes in grants:
        for code in country_codes:
            organisations_by_region.setdefault(region_for(code), set()).add(organisation_id)
    return undisclosed_groups(organisations_by_region)
