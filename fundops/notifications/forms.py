"""The preferences form: one choice per kind a person can receive; mandatory kinds are fixed."""
from django import forms
from django.utils.translation import gettext_lazy as _

from fundops.models import NotificationPreference

from . import kinds


class PreferencesForm(forms.Form):
    def __init__(self, *args, user, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.mandatory_kinds = []
        for kind in kinds.kinds_for(user):
            if kind.mandatory:
                self.mandatory_kinds.append(kind)
                continue
            self.fields[kind.name] = forms.ChoiceField(
                label=kind.label,
                choices=NotificationPreference.Mode.choices,
                initial=current.get(kind.name, NotificationPreference.Mode.IMMEDIATELY),
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose how you want to hear about this.")},
            )
