"""How reviews plugs into applications without either editing the other: cancelling open
assignments when an application leaves review, declarations on the staff timeline, and
sight of an application (and its documents) for a reviewer who declared no conflict."""


def cancel_assignments_when_review_ends(sender, instance, name, source, target, **kwargs):
    from .services import OUT_OF_REVIEW_STATES, assignments_cancel_open

    if target not in OUT_OF_REVIEW_STATES or instance.pk is None:
        return
    by = (kwargs.get("method_kwargs") or {}).get("by")
    assignments_cancel_open(
        application=instance, by=by, note=f"the application was {instance.get_state_display().lower()}"
    )


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
