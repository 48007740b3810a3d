"""Every write of fund setup: a fund's settings, its calls, their application forms, and copying a
call to start the next round. Each change leaves an audit row saying what changed."""
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_countries import countries

from fundops import roles
from fundops.models import DOCUMENT_KINDS, AuditEntry, Call, Fund
from fundops.money import CURRENCIES, MoneyError, parse_typed_decimal, quantize
from fundops.questionnaires import services as questionnaires
from fundops.regions import REGION_BY_SUBREGION
from reviews import services as review_services  # fundsetup sits above reviews: it copies a call's rubric

FUND_FIELDS = [
    "name", "description", "kind", "base_currency", "min_grant", "max_grant", "decision_target_hours",
    "opens_on", "closes_on", "reviews_required", "blind_review", "eligible_regions", "eligible_countries",
    "registration_required", "min_organisation_age_years", "max_annual_budget", "required_documents", "themes",
]
CALL_FIELDS = ["name", "opens_at", "closes_at", "is_rolling", "guidance"]
THEME_MAX_LENGTH = 120
THEMES_MAX = 60


def check_may_set_up(by):
    """Fund setup is program officers' (and administrators') work."""
    if by is None or not roles.is_program_officer(by):
        raise PermissionDenied(_("Only program officers and administrators may set up funds and calls."))


def _audit(obj, transition, *, by, note, from_state="", to_state=""):
    return AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk, actor=by,
        transition=transition, from_state=from_state[:30], to_state=to_state[:30], note=note[:5000],
    )


def theme_lines(value):
    """Themes typed one per line (or given as a list): stripped, without blanks or repeats (any case)."""
    items = value.splitlines() if isinstance(value, str) else list(value or [])
    seen, themes = set(), []
    for item in items:
        theme = " ".join(str(item).split())
        if theme and theme.casefold() not in seen:
            seen.add(theme.casefold())
            themes.append(theme)
    return themes


def _shown(value):
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 50000.0000 as stored reads 50000
    return str(value)


def _changes(before, after):
    return "; ".join(
        f"{name}: {_shown(before[name])} → {_shown(after[name])}" for name in after if before.get(name) != after[name]
    )


def _snapshot(fund):
    values = {name: getattr(fund, name) for name in FUND_FIELDS}
    values["eligible_countries"] = sorted(c.code for c in fund.eligible_countries)
    return values


def _amount(value, field, currency, errors, *, allow_empty=False):
    if value in (None, ""):
        if not allow_empty:
            errors.setdefault(field, []).append(_("Give an amount."))
        return None
    try:
        amount = parse_typed_decimal(value) if not isinstance(value, Decimal) else value
    except MoneyError as error:
        errors.setdefault(field, []).append(str(error))
        return None
    if amount < 0:
        errors.setdefault(field, []).append(_("An amount cannot be below zero."))
        return None
    return quantize(amount, currency)


# Funds ------------------------------------------------------------------------------------


@transaction.atomic
def fund_update(*, fund, by, **fields):
    """Change a fund's settings; every problem at once; the audit note lists each change (old → new)."""
    check_may_set_up(by)
    unknown = set(fields) - set(FUND_FIELDS)
    if unknown:
        raise ValidationError(_("These are not fund settings: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    before = _snapshot(fund)
    data = {**before, **fields}
    errors = {}

    currency = (data["base_currency"] or "").upper()
    if currency not in CURRENCIES:
        errors["base_currency"] = [_("Choose the fund's base currency.")]
        currency = fund.base_currency
    elif currency != fund.base_currency and (fund.contributions.exists() or fund.applications.exists()):
        # Stored base amounts and requests are in the old currency; changing it would re-label them.
        errors["base_currency"] = [_("The base currency cannot change once the fund has contributions or "
                                     "applications: their amounts are in %(currency)s.") % {"currency": fund.base_currency}]
        currency = fund.base_currency
    data["base_currency"] = currency
    data["min_grant"] = _amount(data["min_grant"], "min_grant", currency, errors)
    data["max_grant"] = _amount(data["max_grant"], "max_grant", currency, errors)
    if data["min_grant"] is not None and data["max_grant"] is not None and data["max_grant"] < data["min_grant"]:
        errors.setdefault("max_grant", []).append(_("The largest grant must not be below the smallest."))
    data["max_annual_budget"] = _amount(data["max_annual_budget"], "max_annual_budget", currency, errors,
                                        allow_empty=True)

    data["name"] = (data["name"] or "").strip()
    if not data["name"]:
        errors["name"] = [_("Give the fund a name.")]
    data["description"] = (data["description"] or "").strip()
    if data["kind"] not in Fund.Kind.values:
        errors["kind"] = [_("Choose the kind of fund.")]
    if data["kind"] == Fund.Kind.RAPID_RESPONSE and not data["decision_target_hours"]:
        errors["decision_target_hours"] = [_("A rapid-response fund promises a decision within a number of hours.")]
    if data["reviews_required"] in (None, "") or int(data["reviews_required"]) < 1:
        errors["reviews_required"] = [_("At least one review (or panel vote) is needed before a decision.")]
    if data["opens_on"] and data["closes_on"] and data["closes_on"] < data["opens_on"]:
        errors["closes_on"] = [_("The fund cannot close before it opens.")]

    regions = [r for r in (data["eligible_regions"] or []) if r]
    bad_regions = [r for r in regions if r not in REGION_BY_SUBREGION]
    if bad_regions:
        errors["eligible_regions"] = [_("Unknown region: %(names)s.") % {"names": ", ".join(bad_regions)}]
    data["eligible_regions"] = sorted(set(regions))
    codes = sorted({str(c).upper() for c in data["eligible_countries"] or [] if c})
    bad_codes = [c for c in codes if c not in countries]
    if bad_codes:
        errors["eligible_countries"] = [_("Unknown country code: %(codes)s.") % {"codes": ", ".join(bad_codes)}]
    data["eligible_countries"] = codes

    documents = list(dict.fromkeys(data["required_documents"] or []))
    known = [kind for kind, _label in DOCUMENT_KINDS]
    if any(kind not in known for kind in documents):
        errors["required_documents"] = [_("Unknown kind of document.")]
    data["required_documents"] = [kind for kind in known if kind in documents]

    themes = theme_lines(data["themes"])
    if any(len(theme) > THEME_MAX_LENGTH for theme in themes):
        errors["themes"] = [_("Keep each theme under %(max)s characters.") % {"max": THEME_MAX_LENGTH}]
    elif len(themes) > THEMES_MAX:
        errors["themes"] = [_("A fund may offer at most %(max)s themes.") % {"max": THEMES_MAX}]
    data["themes"] = themes
    data["registration_required"] = bool(data["registration_required"])
    data["blind_review"] = bool(data["blind_review"])
    if errors:
        raise ValidationError(errors)

    for name in FUND_FIELDS:
        setattr(fund, name, data[name])
    fund.full_clean()
    fund.save()
    after = _snapshot(fund)
    note = _changes(before, after)
    if note:
        _audit(fund, "fund_update", by=by, note=note)
    return fund


@transaction.atomic
def fund_form_create(*, fund, by):
    """The fund's own application form (for applications made outside any call)."""
    check_may_set_up(by)
    fund = Fund.objects.select_for_update().get(pk=fund.pk)
    if fund.application_form_id:
        return fund.application_form
    form = questionnaires.questionnaire_create(
        fund=fund, purpose="application", title=_("Application form — %(fund)s") % {"fund": fund.name}, by=by
    )
    fund.application_form = form
    fund.save(update_fields=["application_form"])
    _audit(fund, "fund_form_create", by=by, note=f"application form #{form.pk}")
    return form


# Calls ------------------------------------------------------------------------------------


def _unique_slug(fund, name, *, exclude=None):
    base = slugify(name)[:90] or "call"
    taken = set(fund.calls.exclude(pk=exclude).values_list("slug", flat=True)) if fund.pk else set()
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _clean_call(data, errors):
    data["name"] = (data.get("name") or "").strip()
    if not data["name"]:
        errors["name"] = [_("Give the call a name.")]
    elif len(data["name"]) > 255:
        errors["name"] = [_("Keep the name under 255 characters.")]
    if not data.get("opens_at"):
        errors["opens_at"] = [_("Say when the call opens.")]
    data["is_rolling"] = bool(data.get("is_rolling"))
    if data["is_rolling"]:
        data["closes_at"] = None
    elif not data.get("closes_at"):
        errors["closes_at"] = [_("Say when the call closes, or make it rolling.")]
    elif data.get("opens_at") and data["closes_at"] <= data["opens_at"]:
        errors["closes_at"] = [_("The call must close after it opens.")]
    data["guidance"] = (data.get("guidance") or "").strip()
    return data


@transaction.atomic
def call_create(*, fund, by, name, opens_at, closes_at=None, is_rolling=False, guidance=""):
    check_may_set_up(by)
    errors = {}
    data = _clean_call(
        {"name": name, "opens_at": opens_at, "closes_at": closes_at, "is_rolling": is_rolling, "guidance": guidance},
        errors,
    )
    if errors:
        raise ValidationError(errors)
    call = Call(fund=fund, slug=_unique_slug(fund, data["name"]), **data)
    call.full_clean()
    call.save()
    _audit(call, "call_create", by=by, to_state="open" if call.is_open() else "scheduled",
           note=f"“{call.name}” in {fund.name}")
    return call


@transaction.atomic
def call_update(*, call, by, **fields):
    check_may_set_up(by)
    unknown = set(fields) - set(CALL_FIELDS)
    if unknown:
        raise ValidationError(_("These are not call settings: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    call = Call.objects.select_for_update().get(pk=call.pk)
    before = {name: getattr(call, name) for name in CALL_FIELDS}
    errors = {}
    data = _clean_call({**before, **fields}, errors)
    if errors:
        raise ValidationError(errors)
    for name in CALL_FIELDS:
        setattr(call, name, data[name])
    call.full_clean()
    call.save()
    note = _changes(before, {name: getattr(call, name) for name in CALL_FIELDS})
    if note:
        _audit(call, "call_update", by=by, note=note)
    return call


@transaction.atomic
def call_form_create(*, call, by):
    """The call's own application form: a copy of the fund's form when it has one, else empty."""
    check_may_set_up(by)
    call = Call.objects.select_for_update(of=("self",)).select_related("fund__application_form").get(pk=call.pk)
    if call.application_form_id:
        return call.application_form
    title = _("Application form — %(call)s") % {"call": call.name}
    if call.fund.application_form is not None:
        form = questionnaires.questionnaire_copy(questionnaire=call.fund.application_form, by=by)
        form = questionnaires.questionnaire_rename(questionnaire=form, title=title, by=by)
    else:
        form = questionnaires.questionnaire_create(fund=call.fund, purpose="application", title=title, by=by)
    call.application_form = form
    call.save(update_fields=["application_form"])
    _audit(call, "call_form_create", by=by, note=f"application form #{form.pk}")
    return form


def call_rubric(call):
    """The call's own current rubric (its highest version), or None when it is judged by the fund's."""
    return call.rubrics.order_by("-version").first()


@transaction.atomic
def call_copy(*, call, by, name, opens_at, closes_at=None, is_rolling=None, guidance=None):
    """A new call like `call`: its settings, a new unfrozen copy of its application form, and its rubric.

    Report forms belong to the fund, so they carry over by themselves.
    """
    check_may_set_up(by)
    call = Call.objects.select_related("fund", "application_form").get(pk=call.pk)
    new = call_create(
        fund=call.fund, by=by, name=name, opens_at=opens_at, closes_at=closes_at,
        is_rolling=call.is_rolling if is_rolling is None else is_rolling,
        guidance=call.guidance if guidance is None else guidance,
    )
    if call.application_form_id:
        form = questionnaires.questionnaire_copy(questionnaire=call.application_form, by=by)
        form = questionnaires.questionnaire_rename(
            questionnaire=form, title=_("Application form — %(call)s") % {"call": new.name}, by=by
        )
        new.application_form = form
        new.save(update_fields=["application_form"])
    rubric = call_rubric(call)
    copied_rubric = None
    if rubric is not None:
        copied_rubric = review_services.rubric_copy(rubric=rubric, call=new, by=by)
    _audit(new, "call_copy", by=by, to_state="copy",
           note=f"copied from “{call.name}” (#{call.pk})"
                + (f"; application form #{new.application_form_id}" if new.application_form_id else "")
                + (f"; rubric #{copied_rubric.pk}" if copied_rubric is not None else ""))
    return new


def next_round_name(call):
    """A suggestion for the copy's name: 'Round 2' after 'Round 1', else '<name> (copy)'."""
    words = call.name.rsplit(" ", 1)
    if len(words) == 2 and words[1].isdigit():
        return f"{words[0]} {int(words[1]) + 1}"
    return _("%(name)s (copy)") % {"name": call.name}


def next_round_dates(call):
    """The copy opens when the old call closes (or now) and lasts as long."""
    opens = max(call.closes_at or timezone.now(), timezone.now())
    length = (call.closes_at - call.opens_at) if call.closes_at else None
    return opens, (opens + length) if length else None
