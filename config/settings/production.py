"""Production: everything secret or site-specific is required from the
environment; transport security is on. ``manage.py check --deploy`` is clean."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, env, mailers_from_url

DEBUG = False
DATABASES = {"default": env.db("DATABASE_URL")}
# Under ASGI each request's sync code runs on a thread of its own (Django's
# ASGIHandler) and Django's connections are per thread: kept connections
# (CONN_MAX_AGE) stayed behind with every finished request's thread, and a
# busy worker ran PostgreSQL out of connections ("too many clients" at 16
# concurrent API clients, bench/gifts.py --http). A psycopg pool per process
# bounds them and spares each request a new connection: a thread borrows
# one and gives it back when its request ends (Django then needs
# CONN_MAX_AGE 0). DATABASE_POOL_MAX_SIZE=0 turns the pool off (PgBouncer in
# transaction mode does the pooling: docs/deploy.md); DATABASE_CONN_MAX_AGE
# then applies, 0 by default for the same reason.
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=10)
if DATABASE_POOL_MAX_SIZE > 0:
    from psycopg_pool import ConnectionPool

    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(env.int("DATABASE_POOL_MIN_SIZE", default=1), DATABASE_POOL_MAX_SIZE),
        "max_size": DATABASE_POOL_MAX_SIZE,
        # A request that finds every connection busy waits this long, then
        # answers 503 temporarily_unavailable (core.errors.transient_error).
        "timeout": env.float("DATABASE_POOL_TIMEOUT_SECONDS", default=10.0),
        # Idle connections beyond min_size close after five minutes; one
        # that died meanwhile (a restart, a failover) is found on lending.
        "max_idle": 300.0,
        "check": ConnectionPool.check_connection,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
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
