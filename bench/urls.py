"""The site's URLs plus ``/bench/hello``: the cheapest possible Django view,
the baseline every bench ratio is measured against; and ``/bench/page``: a
feed page's bytes answered from memory by an API view behind the API's
authentication (``BENCH_PAGE_FILE``, written by ``bench/feed.py``), the
ceiling of any feed: what the HTTP, the API and the page's size cost before
the feed does any work of its own."""

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView


def hello(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"hello": "world"})


class PageFromMemory(APIView):
    permission_classes = [IsAuthenticated]
    body = (
        Path(os.environ["BENCH_PAGE_FILE"]).read_bytes()
        if "BENCH_PAGE_FILE" in os.environ
        else b"{}"
    )

    def get(self, request: Request) -> HttpResponse:
        return HttpResponse(self.body, content_type="application/json")


urlpatterns = [
    path("bench/hello", hello),
    path("bench/page", PageFromMemory.as_view()),
    path("", include("config.urls")),
]
