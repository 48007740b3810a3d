"""Rapid-response panel votes and the program officer's casting decision on a tied panel."""
from django.core.exceptions import ValidationError
from django.db import transaction

from applications.models import Application

from ..models import PanelTieBreak, PanelVote
from ..selectors import panel_result, rubric_for
from ._common import _audit_created, _require_officer, _tell_if_ready, _transition
from .reviews import _own_open_assignment

# Panel votes (rapid-response funds in panel mode) ----------------------------------------


@transaction.atomic
def panel_vote_cast(*, assignment, by, vote, note=""):
    assignment = _own_open_assignment(assignment, by)
    rubric = rubric_for(application=assignment.application)
    if rubric is None or not rubric.is_panel:
        raise ValidationError("This fund scores reviews against its rubric; it does not take panel votes.")
    if vote not in PanelVote.Vote.values:
        raise ValidationError({"vote": ["Choose fund or do not fund."]})
    if PanelVote.objects.filter(application_id=assignment.application_id, member=by).exists():
        raise ValidationError("You have already voted on this application.")
    panel_vote = PanelVote.objects.create(
        application_id=assignment.application_id, member=by, vote=vote, note=(note or "").strip()
    )
    _transition(assignment, "submit", by=by, note=f"panel vote: {panel_vote.get_vote_display().lower()}")
    _tell_if_ready(assignment.application)
    return panel_vote


@transaction.atomic
def panel_tie_break(*, application, by, vote, note=""):
    """An evenly split panel: the program officer decides which way the panel's result goes."""
    _require_officer(by)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if vote not in PanelVote.Vote.values:
        raise ValidationError({"vote": ["Choose fund or do not fund."]})
    result = panel_result(application=application)
    if not result["tie"]:
        raise ValidationError("The panel is not tied; its majority decides.")
    if result["tie_break"] is not None:
        raise ValidationError("This tie has already been broken.")
    tie_break = PanelTieBreak.objects.create(application=application, vote=vote, note=(note or "").strip(), decided_by=by)
    _audit_created(tie_break, by=by, transition="break_tie", to_state=vote, note=tie_break.note)
    _tell_if_ready(application)
    return tie_break

