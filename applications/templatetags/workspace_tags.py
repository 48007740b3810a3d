"""The top bar's current workspace: the one whose URL is the longest prefix of this page's path."""
from django import template

register = template.Library()


@register.filter
def current_workspace(workspaces, path):
    matches = [w["url"] for w in workspaces if path.startswith(w["url"])]
    return max(matches, key=len) if matches else ""
