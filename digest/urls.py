from django.contrib import admin
from django.urls import include, path

from digest.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("anymail/", include("anymail.urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    path("", include("digest.urls_public")),
]
