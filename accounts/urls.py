from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("signin/<str:token>/", views.signin, name="signin"),
    path("account/", views.account, name="account"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
