"""Production: everything secret or site-specific is required from the
environment; transport security is on. ``manage.py check --deploy`` is clean."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, env, mailers_from_url

DEBUG = False
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# Mail leaves through a real server: a local MTA unless EMAIL_URL names one.
MAILERS = mailers_from_url(env("EMAIL_URL", default="smtp://127.0.0.1:25"))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# nginx-rtmp calls the ingest callbacks over loopback HTTP and reads any 3xx
# from on_publish as "accepted, rename the stream": an HTTPS redirect there
# would let any publisher in without a key.
# Load balancers probe /healthz and /readyz, and Prometheus scrapes /metrics,
# over plain HTTP on the private side.
SECURE_REDIRECT_EXEMPT = [r"^live/ingest/", r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

# The production stack on one machine (`make stack`, docs/deploy.md) serves
# plain HTTP on http://127.0.0.1:8000, where HTTPS redirects, HSTS and
# HTTPS-only cookies would lock everyone out. It says so explicitly, and the
# switch refuses any host name but loopback: a real site keeps all of the
# above (and `check --deploy` stays clean without the switch).
if env.bool("DJANGO_PLAIN_HTTP_LOOPBACK", default=False):
    _loopback = {"127.0.0.1", "localhost", "[::1]"}
    if not set(ALLOWED_HOSTS) <= _loopback:
        raise ImproperlyConfigured(
            "DJANGO_PLAIN_HTTP_LOOPBACK serves plain HTTP: DJANGO_ALLOWED_HOSTS may then name "
            f"only {', '.join(sorted(_loopback))}, not {', '.join(ALLOWED_HOSTS)}."
        )
    SECURE_SSL_REDIRECT = False
    SECURE_HSTS_SECONDS = 0
    SECURE_HSTS_PRELOAD = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
