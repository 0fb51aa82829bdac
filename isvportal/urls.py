from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from console.site import site as console
from isvportal.health import healthz, liveness

# Callbacks first: they are most of the traffic, and each pattern before them is one more
# failed match per callback.
urlpatterns: list[URLPattern | URLResolver] = [
    path("callbacks/", include("callbacks.urls")),
    path("healthz", healthz, name="healthz"),
    path("healthz/live", liveness, name="liveness"),
    path("oauth/", include("oauth.urls")),
    path("api/v1/", include("oauth.api.urls")),
    path("api/v1/", include("console.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", console.urls),
]
