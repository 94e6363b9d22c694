"""HTTP helpers of the production-site tests: one request without following
redirects, and a walk over every static file a page names (and the files
those name in turn: CSS ``url()`` and ``@import``, ES module imports, source
maps), as a browser would load them."""

from __future__ import annotations

import http.client
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

STATIC_URL = "/static/"
# Static URLs anywhere in a page: attributes, and the JSON handed to scripts.
IN_PAGE = re.compile(r"""/static/[^"'\s<>()\\]+""")
# Django's manifest names: <name>.<12 hex digits>.<extension>.
HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
CSS_REFERENCES = re.compile(r"""url\(\s*["']?([^"')]+?)["']?\s*\)|@import\s+["']([^"']+)["']""")
JS_IMPORTS = re.compile(r"""(?:\bfrom|\bimport)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""")
SOURCE_MAP = re.compile(r"""[#@]\s*sourceMappingURL=([^\s*'"]+)""")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def request(
    base: str,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    tls: ssl.SSLContext | None = None,
    server_name: str | None = None,
) -> Response:
    """One request to ``base`` (``http://host:port`` or ``https://...``);
    redirects are answers, not followed."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=20, context=tls)
    else:
        connection = http.client.HTTPConnection(host, port, timeout=20)
    sent = {"Host": server_name or parts.netloc, **(headers or {})}
    try:
        connection.request(method, path, body=body, headers=sent)
        answer = connection.getresponse()
        return Response(
            answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
        )
    finally:
        connection.close()


@dataclass
class StaticWalk:
    """Fetches static files once each and records what is wrong with them."""

    fetch: Callable[[str], Response]
    seen: dict[str, Response] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def page(self, where: str, html: str) -> list[str]:
        """Check every static file ``html`` names; returns the URLs found."""
        found = sorted(set(IN_PAGE.findall(html)))
        for url in found:
            if not HASHED.search(url):
                # {% static %} under manifest storage always hashes: an
                # unhashed name means the manifest was not used.
                self.problems.append(f"{where} names {url}, not a hashed (manifest) name")
            self.file(url, where)
        return found

    def file(self, url: str, referrer: str) -> None:
        path = urlsplit(url).path
        if path in self.seen:
            return
        response = self.fetch(path)
        self.seen[path] = response
        if response.status != 200:
            self.problems.append(f"{path} (named by {referrer}) answered {response.status}")
            return
        if HASHED.search(path) and "immutable" not in response.header("Cache-Control"):
            self.problems.append(
                f"{path} is a hashed name but is not cached for good: "
                f"Cache-Control {response.header('Cache-Control')!r}"
            )
        for reference in self.references(path, response.text):
            target = urljoin(path, reference)
            if target.startswith(STATIC_URL):
                self.file(target, path)

    @staticmethod
    def references(path: str, text: str) -> list[str]:
        found: list[str] = []
        if path.endswith(".css"):
            for url, imported in CSS_REFERENCES.findall(text):
                reference = (url or imported).strip()
                if reference and not reference.startswith(("data:", "#", "http:", "https:", "//")):
                    found.append(reference)
        if path.endswith((".js", ".mjs")):
            found.extend(JS_IMPORTS.findall(text))
        if path.endswith((".js", ".mjs", ".css")):
            found.extend(m for m in SOURCE_MAP.findall(text) if not m.startswith("data:"))
        return found
