"""Display helpers for application pages: money and the rapid-response decision clock."""
from django import template

from fundops.money import format_money

register = template.Library()


@register.filter
def money(amount, currency):
    return format_money(amount, currency) if amount is not None and currency else "—"


@register.filter
def clock_text(clock):
    """"31 h left" / "2 d 4 h left" / "overdue by 5 h"."""
    if not clock:
        return ""
    hours = abs(int(clock["hours_left"]))
    span = f"{hours // 24} d {hours % 24} h" if hours >= 72 else f"{hours} h"
    return f"overdue by {span}" if clock["overdue"] else f"{span} left"
