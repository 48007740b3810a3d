"""How reviews plugs into applications without either editing the other: cancelling open
assignments when an application leaves review, assigning a rapid-response fund's panel at
screening in, declarations on the staff timeline, and sight of an application (and its
documents) for a reviewer who declared no conflict."""


def cancel_assignments_when_review_ends(sender, instance, name, source, target, **kwargs):
    from .services import OUT_OF_REVIEW_STATES, assignments_cancel_open

    if target not in OUT_OF_REVIEW_STATES or instance.pk is None:
        return
    by = (kwargs.get("method_kwargs") or {}).get("by")
    assignments_cancel_open(
        application=instance, by=by, note=f"the application was {instance.get_state_display().lower()}"
    )


def assign_panel_when_screened_in(sender, instance, name, source, target, **kwargs):
    """The fast track of a rapid-response fund: screening in assigns the panel at once (the
    fund's required number of reviewers from its panel — the reviewer pool set up for the fund —
    spread as `assignments_auto` spreads them). Imported history (no acting officer) and a fund
    whose panel is not set up yet are left to staff."""
    from applications.models import State
    from fundops import roles

    from .models import ReviewerPoolMember
    from .services import assignments_auto

    by = (kwargs.get("method_kwargs") or {}).get("by")
    if name != "screen_in" or target != State.IN_REVIEW or by is None or not roles.is_program_officer(by):
        return
    fund = instance.fund
    panel = ReviewerPoolMember.objects.filter(fund=fund, reviewer__is_active=True)
    if not fund.is_rapid_response or not panel.exists():
        return
    assignments_auto(fund=fund, by=by, application=instance)


def declarations_on_timeline(*, application, staff):
    """Conflict-of-interest declarations, for staff only: applicants never learn who reviews them."""
    from applications.selectors import TimelineEntry

    from .selectors import application_declarations

    if not staff:
        return []
    entries = []
    for declaration in application_declarations(application=application):
        reviewer = declaration.assignment.reviewer
        if declaration.has_conflict:
            title, text = "Reviewer declared a conflict of interest and was recused", declaration.reason
        else:
            title, text = "Reviewer declared no conflict of interest", ""
        entries.append(TimelineEntry(at=declaration.declared_at, title=title, text=text, actor=str(reviewer), staff_only=True))
    return entries


def reviewer_may_view(user, application):
    """An assigned reviewer who declared no conflict may open the application's documents —
    unless the fund reviews blind (documents would name the organisation)."""
    from fundops import roles

    from .selectors import documents_withheld_from_reviewers, reviewer_may_see_application

    if not roles.is_reviewer(user) or documents_withheld_from_reviewers(application):
        return False
    return reviewer_may_see_application(reviewer=user, application=application)
