"""Settings shared by every environment. Everything that varies comes from the
environment (12-factor); ``local``, ``test`` and ``production`` only choose
defaults and harden."""

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file is a convenience for development only; production sets real variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",  # must precede staticfiles: channels' runserver
    "config.apps.SproutAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "core",
    "community",
    "wallet",
    "kol",
    "live",
]
# The shop is optional (SPEC.md): with SHOP_ENABLED=false it is not installed,
# and nothing below it notices.
SHOP_ENABLED = env.bool("SHOP_ENABLED", default=True)
if SHOP_ENABLED:
    INSTALLED_APPS.append("shop")

MIDDLEWARE = [
    # First: counts and times every request Django answers (core.metrics).
    "core.metrics.http.request_metrics",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Above the session and CSRF middleware: it reads the Vary: Cookie they add.
    "core.middleware.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so its refusals still pass every header-setting middleware above.
    "core.middleware.request_limits",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
# HTTP under the ASGI server with the middleware chain WSGI runs, in one
# thread hop per request instead of two per sync middleware
# (core.asgi_http): a hello-world request 370 -> 590 req/s in the same run
# (docs/performance.md, "Feeds"). Off: Django's ASGIHandler as shipped.
SPROUT_ASGI_HTTP_ONE_HOP = env.bool("SPROUT_ASGI_HTTP_ONE_HOP", default=True)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "community.context_processors.notifications",
            ],
        },
    },
]

# --- data -----------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while a Celery-eager write is in flight.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Third-party apps (django-celery-beat) ship AutoField migrations; Sprout's own
# apps ask for BigAutoField in their AppConfig.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="sprout"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- background work ------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Redis: a task taken by a worker that died (acks_late) is handed out again
# after the visibility timeout; tasks must finish well within it. The restore
# sweep runs every interval × throttle seconds (tests shorten all three).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}

# --- auth -----------------------------------------------------------------
AUTH_USER_MODEL = "community.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "discover"
LOGOUT_REDIRECT_URL = "discover"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Replays' playlists, segments, posters and previews: under MEDIA_ROOT
    # unless SPROUT_REPLAY_STORAGE_BACKEND names another storage (an
    # S3-compatible bucket: docs/replays.md), with its OPTIONS as JSON.
    "replays": {
        "BACKEND": env(
            "SPROUT_REPLAY_STORAGE_BACKEND",
            default="django.core.files.storage.FileSystemStorage",
        ),
        "OPTIONS": env.json("SPROUT_REPLAY_STORAGE_OPTIONS", default={}),
    },
}
# Where the replays storage's URLs point when not at MEDIA_URL (a bucket or
# its CDN, e.g. https://replays.example.net): the Content-Security-Policy
# lets players fetch and show them from there.
SPROUT_REPLAY_ORIGIN = env("SPROUT_REPLAY_ORIGIN", default="")
SERVE_MEDIA = env.bool("SPROUT_SERVE_MEDIA", default=DEBUG)

# Uploads: photos are streamed to disk above 2.5 MB; the photo pipeline
# enforces its own limits (bytes, pixels) with clear errors. Any other body
# over DATA_UPLOAD_MAX_MEMORY_SIZE is refused with 413 (core.middleware).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# --- photos ---------------------------------------------------------------
SPROUT_PHOTO_MAX_BYTES = env.int("SPROUT_PHOTO_MAX_BYTES", default=20 * 1024 * 1024)
SPROUT_PHOTO_MAX_PIXELS = env.int("SPROUT_PHOTO_MAX_PIXELS", default=50_000_000)
SPROUT_PHOTO_MIN_SIDE = 16
SPROUT_PHOTO_WIDTHS = (1080, 540, 240)
# An upload no note took within this many hours is deleted with its files
# (a compose or edit page left unsaved; community.tasks.sweep_unattached_photos).
SPROUT_UNATTACHED_PHOTO_HOURS = env.int("SPROUT_UNATTACHED_PHOTO_HOURS", default=24)

# --- feed ranking (see community/ranking.py and docs/architecture.md) -----
SPROUT_RANK_DECAY_SECONDS = env.int("SPROUT_RANK_DECAY_SECONDS", default=86_400)
SPROUT_RANK_BOOST_FOLLOWED_CREATOR = env.float("SPROUT_RANK_BOOST_FOLLOWED_CREATOR", default=1.0)
SPROUT_RANK_BOOST_FOLLOWED_TOPIC = env.float("SPROUT_RANK_BOOST_FOLLOWED_TOPIC", default=0.5)
SPROUT_PAGE_SIZE = 20
# How long the API feeds' note cards stay in the cache (community.card_cache;
# forgotten at once when they change): 0 builds every card on every page.
SPROUT_FEED_CARD_SECONDS = env.int("SPROUT_FEED_CARD_SECONDS", default=600)
SPROUT_MAX_PAGE_SIZE = 100

# --- creator pool (kol) ----------------------------------------------------
# Minimum followers per tier (below "micro" is "nano"). Tiers are derived from
# these, never typed by hand (kol.selectors.tier_for, recompute_stats).
SPROUT_KOL_TIERS = {
    "micro": env.int("SPROUT_KOL_TIER_MICRO", default=1_000),
    "mid": env.int("SPROUT_KOL_TIER_MID", default=10_000),
    "macro": env.int("SPROUT_KOL_TIER_MACRO", default=100_000),
    "mega": env.int("SPROUT_KOL_TIER_MEGA", default=1_000_000),
}
SPROUT_KOL_INVITATION_DAYS = env.int("SPROUT_KOL_INVITATION_DAYS", default=14)
# Screening weighs engagement and growth by audience (kol.selectors.creator_ranking).
SPROUT_KOL_SCREENING_AUDIENCE_PRIOR = env.int("SPROUT_KOL_SCREENING_AUDIENCE_PRIOR", default=1000)

# --- live rooms ---------------------------------------------------------------
# RTMP ingest (nginx-rtmp) and HLS playback; see deploy/nginx and live/ingest.py.
SPROUT_LIVE_RTMP_URL = env("SPROUT_LIVE_RTMP_URL", default="rtmp://127.0.0.1:1935/ingest")
SPROUT_LIVE_HLS_BASE_URL = env("SPROUT_LIVE_HLS_BASE_URL", default="http://127.0.0.1:8089/hls")
# nginx sends this in a header of its callbacks (never the URL: access logs
# keep URLs) so only it can start and stop streams.
SPROUT_LIVE_INGEST_SECRET = env("SPROUT_LIVE_INGEST_SECRET", default="")
SPROUT_LIVE_CHAT_MAX_LENGTH = 200
# Multi-resolution live (live.abr): "on", "off", or "auto" (on with at least
# SPROUT_LIVE_ABR_MIN_CORES cores: 4, where two broadcasts at the default renditions
# take half the CPU, bench/abr.py; each rendition costs an encoder's CPU, see
# docs/live-video.md). Renditions: name=WIDTHxHEIGHT@KBPS, best first; the
# source is always offered too ("src", copied, not encoded).
SPROUT_LIVE_ABR = env("SPROUT_LIVE_ABR", default="auto")
SPROUT_LIVE_ABR_MIN_CORES = env.int("SPROUT_LIVE_ABR_MIN_CORES", default=4)
SPROUT_LIVE_ABR_RENDITIONS = env(
    "SPROUT_LIVE_ABR_RENDITIONS", default="720p=1280x720@2800,480p=854x480@1200,360p=640x360@700"
)
# Replays (live.services.replays): nginx-rtmp records each broadcast into
# SPROUT_LIVE_RECORD_DIR (when set, a recording elsewhere is refused); a
# Celery task makes it an HLS VOD in the "replays" storage. Replays older than
# SPROUT_REPLAY_RETENTION_DAYS are expired (0: kept until deleted).
SPROUT_LIVE_RECORD_DIR = env("SPROUT_LIVE_RECORD_DIR", default="")
SPROUT_REPLAY_RETENTION_DAYS = env.int("SPROUT_REPLAY_RETENTION_DAYS", default=90)
SPROUT_LIVE_CHAT_RATE = env("SPROUT_LIVE_CHAT_RATE", default="5/10")  # messages/seconds
SPROUT_LIVE_BLOCKED_WORDS = env.list("SPROUT_LIVE_BLOCKED_WORDS", default=[])
SPROUT_LIVE_RECENT_MESSAGES = 50
SPROUT_LIVE_TICK_SECONDS = 0.05
# A room's tick grows past this many frames a second, up to the longest
# tick, and past that only where a process's own viewers would cost it more
# than its ceiling (live.hub.RoomHub.tick).
SPROUT_LIVE_ROOM_FRAMES_PER_SECOND = env.int("SPROUT_LIVE_ROOM_FRAMES_PER_SECOND", default=20_000)
SPROUT_LIVE_LONGEST_TICK_SECONDS = 0.125
SPROUT_LIVE_PROCESS_FRAMES_PER_SECOND = env.int(
    "SPROUT_LIVE_PROCESS_FRAMES_PER_SECOND", default=40_000
)
SPROUT_LIVE_HEARTS_SECONDS = 0.25
SPROUT_LIVE_VIEWERS_SECONDS = 1.0
SPROUT_LIVE_SEND_QUEUE = 256
SPROUT_LIVE_TICKET_SECONDS = 60
SPROUT_LIVE_STALE_SECONDS = env.int("SPROUT_LIVE_STALE_SECONDS", default=120)
# Gift frames are booked in batches (live.gift_batcher.GiftBatcher): a batch leaves
# after WINDOW seconds or at MAX gifts; THREADS database threads per process
# run them (unset: 2 on PostgreSQL, 0 = the consumers' own thread on SQLite);
# an idle batcher's threads stop after IDLE seconds.
SPROUT_GIFT_BATCH_WINDOW_SECONDS = env.float("SPROUT_GIFT_BATCH_WINDOW_SECONDS", default=0.003)
SPROUT_GIFT_BATCH_MAX = env.int("SPROUT_GIFT_BATCH_MAX", default=100)
SPROUT_GIFT_BATCH_THREADS: int | None = env.int("SPROUT_GIFT_BATCH_THREADS", default=None)
SPROUT_GIFT_BATCH_IDLE_SECONDS = env.float("SPROUT_GIFT_BATCH_IDLE_SECONDS", default=10.0)
# Gifts over HTTP ride the same batches when an ASGI server runs the request
# (live.services.gifts.room_gift_send); off: one transaction per request.
SPROUT_GIFT_BATCH_HTTP = env.bool("SPROUT_GIFT_BATCH_HTTP", default=True)

# --- wallet ---------------------------------------------------------------------
# What a coin costs, in minor units of the currency (1 = one cent a coin).
SPROUT_WALLET_COIN_PRICE = env.int("SPROUT_WALLET_COIN_PRICE", default=1)
# The site's currency (ISO 4217): money is integers in its minor units
# (core.money). SPROUT_WALLET_CURRENCY is its older name, still read.
SPROUT_CURRENCY = env("SPROUT_CURRENCY", default=env("SPROUT_WALLET_CURRENCY", default="USD"))
# The payment provider that takes recharges (a wallet.providers.PaymentProvider),
# and others whose callbacks are still accepted (see wallet/providers/__init__.py).
SPROUT_WALLET_PAYMENT_PROVIDER = env(
    "SPROUT_WALLET_PAYMENT_PROVIDER", default="wallet.providers.sandbox.SandboxProvider"
)
SPROUT_WALLET_PAYMENT_PROVIDERS: list[str] = env.list("SPROUT_WALLET_PAYMENT_PROVIDERS", default=[])
# Signs the sandbox provider's callbacks. Empty (the default outside local and
# test settings): the sandbox refuses to charge, so a deployment hands out
# free coins only when it sets this on purpose.
SPROUT_WALLET_SANDBOX_SECRET = env("SPROUT_WALLET_SANDBOX_SECRET", default="")
# The platform's share of every gift, in basis points (3000 = 30%), split off
# when the gift is sent (wallet.rules.split_coins: rounded down, the remainder
# is the creator's).
SPROUT_WALLET_PLATFORM_SHARE_BPS = env.int("SPROUT_WALLET_PLATFORM_SHARE_BPS", default=3000)

# Payouts (wallet.services.payouts): earnings of at least THRESHOLD coins are converted
# at RATE minor units of SPROUT_CURRENCY per coin (default: the coin's
# price; the platform's share was taken when the gift was sent), and the
# agency's share comes from the creator pool (wallet.extensions.payout_splitter).
SPROUT_WALLET_PAYOUT_THRESHOLD = env.int("SPROUT_WALLET_PAYOUT_THRESHOLD", default=1_000)
SPROUT_WALLET_PAYOUT_RATE = env("SPROUT_WALLET_PAYOUT_RATE", default=str(SPROUT_WALLET_COIN_PRICE))
# A payout run's worker renews its lease before each creator; a run whose
# lease is older than this is stalled (its worker died) and the beat task
# resume-stalled-payout-runs hands it to a new worker (wallet.services.payout_lease).
SPROUT_WALLET_PAYOUT_LEASE_SECONDS = env.int("SPROUT_WALLET_PAYOUT_LEASE_SECONDS", default=60)
# Test hook: seconds to wait between two creators of a payout run, so a test
# can kill the worker mid-run (tests/wallet/test_payout_worker.py). Always 0
# outside that test.
SPROUT_WALLET_PAYOUT_TEST_DELAY = env.float("SPROUT_WALLET_PAYOUT_TEST_DELAY", default=0.0)

# --- shop: orders (shop.services.orders, shop.services.money) -------------------
# The platform's fee on each order, in basis points of its total (500 = 5 %).
SPROUT_SHOP_PLATFORM_FEE_BPS = env.int("SPROUT_SHOP_PLATFORM_FEE_BPS", default=500)
# How long a pending order holds its stock while its payment is outstanding;
# the beat task release-expired-reservations frees it after that.
SPROUT_SHOP_RESERVATION_SECONDS = env.int("SPROUT_SHOP_RESERVATION_SECONDS", default=900)

# --- shop: flash sales (shop.services.flash, shop.edge) -------------------------
# Buy requests the flash sale's HTTP edge lets into Django at once per process
# (each holds a thread and a database connection there).
SPROUT_FLASH_EDGE_CONCURRENCY = env.int("SPROUT_FLASH_EDGE_CONCURRENCY", default=4)
# Each of those is a lasting thread running Django's handler in sync mode (as
# under WSGI: one database connection kept, no thread hop per middleware);
# off, they go through Django's ASGI handler, a new thread each.
SPROUT_FLASH_EDGE_SYNC_SLOTS = env.bool("SPROUT_FLASH_EDGE_SYNC_SLOTS", default=True)

# --- health (core.health) ---------------------------------------------------
# Each readiness check of /readyz (database, Redis, channel layer, Celery
# worker) gives up after this long; they run concurrently.
SPROUT_HEALTH_TIMEOUT_SECONDS = env.float("SPROUT_HEALTH_TIMEOUT_SECONDS", default=1.5)

# --- metrics (core.metrics, docs/observability.md) ------------------------------
# /metrics answers loopback clients that came straight to the process, and
# anyone sending "Authorization: Bearer <this>" when it is set. A scrape
# taking longer than the timeout answers 503.
SPROUT_METRICS_TOKEN = env("SPROUT_METRICS_TOKEN", default="")
SPROUT_METRICS_TIMEOUT_SECONDS = env.float("SPROUT_METRICS_TIMEOUT_SECONDS", default=5.0)

# --- API ------------------------------------------------------------------
THROTTLE_RATES: dict[str, str] = {
    "anon": env("SPROUT_THROTTLE_ANON", default="300/min"),
    "user": env("SPROUT_THROTTLE_USER", default="600/min"),
    "auth": env("SPROUT_THROTTLE_AUTH", default="30/min"),
    "uploads": env("SPROUT_THROTTLE_UPLOADS", default="120/min"),
    "writes": env("SPROUT_THROTTLE_WRITES", default="240/min"),
    # Replay players' watch beacons (one every ~15 s while playing).
    "replay_watch": env("SPROUT_THROTTLE_REPLAY_WATCH", default="30/min"),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes "not logged in" a 401.
        "core.auth.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.SproutAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "core.http_errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": THROTTLE_RATES,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front of the app that append to X-Forwarded-For: the client
    # is the address the last of them saw. 0 (no proxy, or uvicorn's
    # --proxy-headers already put the client in REMOTE_ADDR) trusts
    # REMOTE_ADDR only; DRF's None would trust the whole, forgeable header.
    "NUM_PROXIES": env.int("SPROUT_NUM_PROXIES", default=0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Sprout API",
    "DESCRIPTION": (
        "Sprout's public API: members and their notes, feeds, the social graph and "
        "search; the creator pool (creators, niches, applications, invitations); live "
        "rooms, their sessions and reports; coins, gifts and payouts; and, when the shop "
        "is on, products, note tags, pins, flash sales, the cart, checkout and orders. "
        "Live rooms also speak a websocket at `/ws/live/{room_id}/` (README). "
        'Errors are always `{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "PREPROCESSING_HOOKS": ["config.schema.one_spelling_per_path"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.json_bodies_without_files",
    ],
    "ENUM_NAME_OVERRIDES": {
        "NoteStatusEnum": "community.models.Note.Status",
        "ReportStatusEnum": "community.models.Report.Status",
        # Choice sets of fields named "state" (a room's, a flash sale's, a replay's):
        # named here, as values, so no app is imported by the settings.
        "RoomStateEnum": [("scheduled", "Scheduled"), ("live", "Live"), ("ended", "Ended")],
        "FlashSaleStateEnum": ["scheduled", "on", "sold_out", "ended"],
        "ReplayStateEnum": [
            ("recording", "Recording"),
            ("processing", "Processing"),
            ("ready", "Ready"),
            ("failed", "Failed"),
            ("deleted", "Deleted"),
            ("expired", "Expired"),
        ],
    },
}

# --- security defaults (production tightens transport) --------------------
# E-mail (password reset, address verification): EMAIL_URL in django-environ's
# form (smtp+tls://user:password@host:587, consolemail://, ...) as Django's
# MAILERS; development prints messages to the console, production defaults
# to a local MTA (config/settings/production.py).


def mailers_from_url(url: str) -> dict[str, dict[str, Any]]:
    """``MAILERS`` with one default mailer described by an e-mail URL."""
    config = env.email_url_config(url)
    options = {
        "host": config.get("EMAIL_HOST"),
        "port": config.get("EMAIL_PORT"),
        "username": config.get("EMAIL_HOST_USER"),
        "password": config.get("EMAIL_HOST_PASSWORD"),
        "use_tls": config.get("EMAIL_USE_TLS"),
        "use_ssl": config.get("EMAIL_USE_SSL"),
    }
    if config["EMAIL_BACKEND"].endswith(".smtp.EmailBackend"):
        options["timeout"] = 10
    else:
        options = {}
    return {
        "default": {
            "BACKEND": config["EMAIL_BACKEND"],
            "OPTIONS": {name: value for name, value in options.items() if value not in (None, "")},
        }
    }


MAILERS = mailers_from_url(env("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Sprout <no-reply@sprout.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A password-reset link works for three hours.
PASSWORD_RESET_TIMEOUT = 3 * 3600

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _origins(*urls: str) -> list[str]:
    """The origins of the absolute URLs among ``urls`` (relative ones are 'self')."""
    found = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            found.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(found))


# Content-Security-Policy on every page (django.middleware.csp). No inline
# script or style anywhere: scripts are static ES modules (an inline one
# would need {% csp_nonce_attr %}), htmx is told not to inject its indicator
# styles nor to eval (base.html's htmx-config). The live room fetches and
# plays HLS from SPROUT_LIVE_HLS_BASE_URL (hls.js: MediaSource blobs and a
# blob worker) and opens its websocket to this site: 'self' covers ws: and
# wss: to the same host and port.
_ASSET_ORIGINS = _origins(STATIC_URL, MEDIA_URL)
_HLS_ORIGINS = _origins(SPROUT_LIVE_HLS_BASE_URL)
# Replays play from media (or their own storage's origin): hls.js fetches
# their playlists and segments.
_REPLAY_ORIGINS = _origins(MEDIA_URL, SPROUT_REPLAY_ORIGIN)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE, *_ASSET_ORIGINS],
    "style-src": [CSP.SELF, *_ASSET_ORIGINS],
    "img-src": [CSP.SELF, "data:", "blob:", *_ASSET_ORIGINS, *_REPLAY_ORIGINS],
    "font-src": [CSP.SELF, *_ASSET_ORIGINS],
    "media-src": [CSP.SELF, "blob:", *_ASSET_ORIGINS, *_HLS_ORIGINS, *_REPLAY_ORIGINS],
    "connect-src": [CSP.SELF, *_HLS_ORIGINS, *_REPLAY_ORIGINS],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "core.http_errors.csrf_failure"

# Periodic work; django-celery-beat's scheduler copies these into the database,
# where staff can pause or retime them in the admin.
CELERY_BEAT_SCHEDULE = {
    "rerender-stale-photos": {
        "task": "community.tasks.rerender_stale_photos",
        "schedule": 300.0,
    },
    # Uploads no note took (a compose or edit page left unsaved), after
    # SPROUT_UNATTACHED_PHOTO_HOURS (community.services.photos_unattached_sweep).
    "sweep-unattached-photos": {
        "task": "community.tasks.sweep_unattached_photos",
        "schedule": crontab(minute=40),
    },
    # Yesterday's and today's creator stats, at five past every hour (kol.services.stats).
    "compute-creator-stats": {
        "task": "kol.tasks.compute_daily_stats",
        "schedule": crontab(minute=5),
    },
    "expire-host-invitations": {
        "task": "kol.tasks.expire_invitations",
        "schedule": crontab(minute="*/15"),
    },
    # Live rooms whose publisher vanished without a publish-done (live.services).
    "end-stale-live-rooms": {
        "task": "live.tasks.end_stale_rooms",
        "schedule": 60.0,
    },
    # Replays still waiting for a recording after their session ended, or left
    # half-made by a dead worker (live.services.replays.replays_sweep).
    "sweep-replays": {
        "task": "live.tasks.sweep_replays",
        "schedule": 120.0,
        # A sweep not run within its interval is dropped: the next one does it all.
        "options": {"expire_seconds": 120},
    },
    # Replays past SPROUT_REPLAY_RETENTION_DAYS, at 03:20 (live.services.replay_access).
    "expire-replays": {
        "task": "live.tasks.expire_replays",
        "schedule": crontab(minute=20, hour=3),
    },
    # Creator payouts for yesterday (UTC), at 00:30 (wallet.services.payouts).
    "run-creator-payouts": {
        "task": "wallet.tasks.run_scheduled_payouts",
        "schedule": crontab(minute=30, hour=0),
    },
    # Payout runs whose worker died mid-run, resumed by a new task instead of
    # waiting for the broker's visibility timeout (wallet.services.payout_lease).
    "resume-stalled-payout-runs": {
        "task": "wallet.tasks.resume_stalled_payout_runs",
        "schedule": 60.0,
        # Sweeps queued while no worker ran are dropped: the next one does it all.
        "options": {"expire_seconds": 60},
    },
    # Each live room's top gifters, pushed when they changed (live.services.gifts);
    # a tick not run within its interval is dropped, the next one covers it.
    "push-live-leaderboards": {
        "task": "live.tasks.push_live_leaderboards",
        "schedule": 5.0,
        # django-celery-beat's spelling of `expires` (seconds).
        "options": {"expire_seconds": 5},
    },
    # Fold appended ledger lines into account balances (wallet.services.balances_roll_up).
    "roll-up-wallet-balances": {
        "task": "wallet.tasks.roll_up_balances",
        "schedule": 60.0,
    },
    # Prove the books once a day, off-peak (wallet.reconcile.ledger_reconcile); the
    # age of the last run that passed is on /metrics (docs/observability.md).
    "reconcile-ledger": {
        "task": "wallet.tasks.reconcile_ledger",
        "schedule": crontab(minute=20, hour=4),
    },
}
if SHOP_ENABLED:
    # Flash sales' gates set from the database: units of released orders go
    # back on sale (shop.services.flash.flash_sales_gate_sync).
    CELERY_BEAT_SCHEDULE["sync-flash-sale-gates"] = {
        "task": "shop.tasks.sync_flash_sale_gates",
        "schedule": 10.0,
        "options": {"expire_seconds": 10},
    }
    # Pending orders whose reservation passed: their stock back (shop.services.orders).
    CELERY_BEAT_SCHEDULE["release-expired-reservations"] = {
        "task": "shop.tasks.release_expired_reservations",
        "schedule": 60.0,
        # A sweep not run within its interval is dropped: the next one does it all.
        "options": {"expire_seconds": 60},
    }
