"""The site's URLs plus ``/bench/hello``: the cheapest possible Django view,
the baseline every bench ratio is measured against."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"hello": "world"})


urlpatterns = [
    path("bench/hello", hello),
    path("", include("config.urls")),
]
