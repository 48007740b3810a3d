"""Views of applications."""
