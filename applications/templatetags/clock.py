"""The decision clock of a rapid-response application: {% load clock %}{% decision_clock application %}."""
from django import template
from django.utils.translation import gettext as _

from applications.selectors import decision_clock as clock_of

register = template.Library()


def _span(hours):
    """"20 h" below three days, "3 d 4 h" from then on."""
    hours = int(abs(hours))
    if hours >= 72:
        return _("%(days)s d %(hours)s h") % {"days": hours // 24, "hours": hours % 24}
    return _("%(hours)s h") % {"hours": hours}


@register.inclusion_tag("applications/_clock.html")
def decision_clock(application, now=None):
    """Nothing for decided applications or funds without a decision target."""
    clock = clock_of(application, now=now)
    if clock is None:
        return {"clock": None}
    return {"clock": clock, "span": _span(clock["hours_left"])}
