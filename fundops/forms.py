"""Forms on the shared core. They collect input; fundops/services.py applies the rules."""
from django import forms

from .models import Organization
from .services import ORGANIZATION_PROFILE_FIELDS


class OrganizationProfileForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", help_text="e.g. https://example.org")

    class Meta:
        model = Organization
        fields = ORGANIZATION_PROFILE_FIELDS
        help_texts = {
            "registration_number": "As on your registration certificate. Leave empty for unregistered groups.",
            "contact_email": "We write to this address about your applications.",
        }

    def profile_data(self):
        return {name: self.cleaned_data[name] for name in ORGANIZATION_PROFILE_FIELDS}
