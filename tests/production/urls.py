"""The site's URLs (and error handlers) plus ``FAULT_PATH``, which raises."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns

FAULT_PATH = "__fault__/"

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def fault(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a deliberate fault: the 500 page under production settings")


urlpatterns = [*site_urlpatterns, path(FAULT_PATH, fault)]
