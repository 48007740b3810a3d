"""Notifications: every handoff tells the person whose turn it is, in the inbox and by e-mail.

    from fundops.notifications import notify, kinds
"""
from . import kinds
from .services import notify

__all__ = ["kinds", "notify"]
