"""Views of disbursements."""
