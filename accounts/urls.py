from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("signin/", views.signin_request, name="signin_request"),
    path("signin/<str:token>/", views.signin, name="signin"),
    path("settings/<str:token>/", views.settings_link, name="settings_link"),
    path("signout/", views.signout, name="signout"),
    path("account/", views.account, name="account"),
    path("account/delivery/", views.delivery, name="delivery"),
    path("account/interests/", views.interests_add, name="interests_add"),
    path("account/interests/<int:pk>/", views.interest_change, name="interest_change"),
    path("account/delete/", views.delete, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/change/", views.unsubscribe_change, name="unsubscribe_change"),
]
