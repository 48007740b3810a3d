from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self):
        from django_fsm.signals import post_transition

        from applications import selectors as application_selectors
        from applications.models import Application

        from .signals import (
            assign_panel_when_screened_in,
            cancel_assignments_when_review_ends,
            declarations_on_timeline,
            reviewer_may_view,
        )

        post_transition.connect(
            cancel_assignments_when_review_ends, sender=Application, dispatch_uid="reviews_cancel_on_leaving_review"
        )
        post_transition.connect(
            assign_panel_when_screened_in, sender=Application, dispatch_uid="reviews_assign_rapid_panel"
        )
        application_selectors.register_timeline_source(declarations_on_timeline)
        application_selectors.register_viewer_check(reviewer_may_view)
