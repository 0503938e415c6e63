from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("interests/suggest", views.interest_suggest, name="interest_suggest"),
    path("signin/", views.signin_request, name="signin_request"),
    path("signin/<str:token>/", views.signin, name="signin"),
    path("settings/<str:token>/", views.settings_link, name="settings_link"),
    path("signout/", views.signout, name="signout"),
    path("account/", views.account, name="account"),
    path("account/start/", views.start, name="start"),
    path("account/delivery/", views.delivery, name="delivery"),
    path("account/interests/", views.interests_add, name="interests_add"),
    path("account/interests/save/", views.interests_save, name="interests_save"),
    path("account/interests/<int:pk>/remove/", views.interest_remove, name="interest_remove"),
    path("account/email/", views.email_change_request, name="email_change_request"),
    path("email/<str:token>/", views.email_change, name="email_change"),
    path("account/delete/", views.delete, name="delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<str:token>/change/", views.unsubscribe_change, name="unsubscribe_change"),
]
