from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login
from digest.health import healthz
from digest.webhooks import tracking_webhook

urlpatterns = [
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("anymail/<slug:esp>/tracking/", tracking_webhook, name="tracking_webhook"),
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("digest.urls_public")),
]
