"""What the fund may publish about a grantee: the one place that hides at-risk organisations.

Donor reports, exports and open data all ask here. An at-risk organisation is never named,
its country never shown; its grants count only towards its region, under generated identifiers.
"""
from .regions import region_for

UNDISCLOSED_ORGANISATION = "Undisclosed organisation"


def undisclosed_region_label(region):
    return f"{region} — undisclosed countries"


def public_organization_name(organization):
    return UNDISCLOSED_ORGANISATION if organization.at_risk else organization.name


def public_organization_id(organization):
    """org-id.guide identifier, or the generated one for an at-risk organisation."""
    return organization.public_ref if organization.at_risk else organization.org_id


def public_grant_reference(grant):
    return grant.public_reference if grant.organization.at_risk else grant.reference


def public_location(organization, country_code):
    """(country_code, region) to publish: at-risk grantees are located only by region."""
    region = region_for(country_code)
    return ("", region) if organization.at_risk else (country_code, region)
