from django.urls import path, register_converter

from . import views
from .feeds import reader_feed


class RatingConverter:
    """The last part of a feedback link: ``more`` (rating 1) or ``less`` (-1)."""

    regex = "more|less"

    def to_python(self, value: str) -> int:
        return 1 if value == "more" else -1

    def to_url(self, value: int) -> str:
        return "more" if value == 1 else "less"


register_converter(RatingConverter, "rating")

app_name = "digest"
urlpatterns = [
    path("feedback/<str:token>/<rating:value>/", views.feedback, name="feedback"),
    path("feedback/<str:token>/<rating:value>/undo/", views.feedback_undo, name="feedback_undo"),
    # Links in older digests: the rating is signed in the token, not in the path.
    path("feedback/<str:token>/", views.feedback),
    path("account/ratings/<int:paper_id>/<rating:value>/", views.rating_set, name="rating_set"),
    path("digests/<str:token>/", views.digest_page, name="page"),
    path("papers/", views.paper_search, name="search"),
    # The token is secrets.token_urlsafe's: a slug. Anything else is no feed, not a query.
    path("feed/<slug:token>/", reader_feed, name="feed"),
    path("account/feed/reset/", views.feed_reset, name="feed_reset"),
    path("account/ratings/<int:paper_id>/undo/", views.rating_undo, name="rating_undo"),
    path("account/ratings/", views.ratings, name="ratings"),
    path("account/export/", views.export, name="export"),
]
