"""Root URLs: HTML pages, the REST API under /api/v1/, its schema and docs,
the admin, and media in development."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

handler400 = "core.http_errors.handler400"
handler403 = "core.http_errors.handler403"
handler404 = "core.http_errors.handler404"
handler500 = "core.http_errors.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's set-up script as its own request:
    # the Content-Security-Policy allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/docs.html"),
        name="api-docs",
    ),
    path("live/ingest/", include("live.ingest_urls")),
    path("api/v1/", include("kol.api_urls")),
    path("api/v1/", include("live.api_urls")),
    path("api/v1/", include("wallet.gift_urls")),
    path("api/v1/", include("live.gift_urls")),
    path("api/v1/", include("wallet.api_urls")),
    path("api/v1/", include("community.api_urls")),
    path("", include("kol.urls")),
    path("", include("live.urls")),
    path("", include("wallet.urls")),
    path("", include("community.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns += [
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
