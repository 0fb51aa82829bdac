from django.contrib import admin
from django.urls import include, path

from isvportal.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("callbacks/", include("callbacks.urls")),
    path("admin/", admin.site.urls),
]
