from django.urls import path

from . import views

app_name = "digest"
urlpatterns = [
    path("feedback/<str:token>/", views.feedback, name="feedback"),
    path("feedback/<str:token>/undo/", views.feedback_undo, name="feedback_undo"),
    path("account/ratings/<int:paper_id>/undo/", views.rating_undo, name="rating_undo"),
    path("account/export/", views.export, name="export"),
]
