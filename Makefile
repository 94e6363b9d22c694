# Sprout: two commands from a fresh clone.
#   make run   set up and serve the site at http://127.0.0.1:8000 (SQLite, demo data)
#   make test  set up and run the whole suite (SQLite, community-only, shop off, PostgreSQL + Redis, browser)
#   make stack the production topology on this machine (docs/deploy.md); make stack-stop stops it
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      ?= .venv
PY        := $(VENV)/bin/python
MANAGE    := $(PY) manage.py
HOST      ?= 127.0.0.1
PORT      ?= 8000
PG_URL    ?= postgres://postgres@127.0.0.1:5432/sprout
# The PostgreSQL pass's first Redis database; its xdist workers take this
# one and the next (config/settings/test.py).
REDIS_TEST_URL ?= redis://127.0.0.1:6379/10
PYTEST_ARGS ?=
# Each pass runs on TEST_WORKERS pytest-xdist workers (one per core of a
# 2-core CI machine; 0 runs in one process). Each worker has its own test
# database, Redis database, media directory and ports (tests/services.py).
TEST_WORKERS ?= 2
XDIST     := -n $(TEST_WORKERS)

.PHONY: help run stack stack-stop test test-sqlite test-community-only test-shop-off test-postgres test-browser lint format bench clean venv vendor migrate seed nginx-rtmp nginx-rtmp-stop

help:
	@echo "make run     serve Sprout at http://$(HOST):$(PORT) with demo data (SQLite, eager Celery)"
	@echo "            (and nginx-rtmp for live video on :1935/:8089 when nginx + libnginx-mod-rtmp are installed)"
	@echo "make test    run the whole suite: SQLite, a community-only site, the shop off, PostgreSQL + Redis + Celery, Chromium"
	@echo "            (all but Chromium on TEST_WORKERS=2 pytest-xdist workers; TEST_WORKERS=0 for one process)"
	@echo "make stack   production settings on this machine: nginx on http://127.0.0.1:8000, WEB_WORKERS uvicorn,"
	@echo "            Celery worker and beat, nginx-rtmp, on PostgreSQL + Redis (docs/deploy.md); make stack-stop"
	@echo "make vendor  front-end packages from npm into static/vendor/ (hls.js; make run and make test do it)"
	@echo "make lint    ruff + mypy"
	@echo "make bench   benchmarks in bench/, then one table of every goal figure (needs PostgreSQL, Redis, nginx)"

# --no-deps: the lock holds every package (pip-compile), and django-celery-beat
# 2.9 declares Django<6.1 although 6.1 runs it (tests/test_beat.py); pip check
# then fails on anything else that does not fit.
$(VENV)/.installed: requirements.lock
	@set -e; python=$$(scripts/find-python); \
	  echo "Using $$python"; \
	  [ -x $(PY) ] || $$python -m venv $(VENV); \
	  $(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip; \
	  $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock; \
	  ! $(PY) -m pip check | grep -v -i -e '^django-celery-beat .* django' -e '^No broken'
	@touch $@

venv: $(VENV)/.installed vendor

# Front-end packages from the npm registry, pinned in package-lock.json and
# copied into static/ by the build (no CDN): hls.js plays live video. The
# source map goes along: hls.min.js names it, and production's manifest
# storage refuses to collect a file whose references are missing
# (tests/production/ runs that collectstatic). The stamp marks a
# complete copy (collectstatic ignores dot files).
HLS_DIR := static/vendor/hls.js
HLS_STAMP := $(HLS_DIR)/.vendored
NODE_HINT := install Node.js with npm: apt-get install -y --no-install-recommends nodejs npm (or https://nodejs.org/)

$(HLS_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is missing: $(NODE_HINT)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(@D)
	cp node_modules/hls.js/dist/hls.min.js node_modules/hls.js/dist/hls.min.js.map $(@D)/
	cp node_modules/hls.js/LICENSE $(@D)/LICENSE
	@touch $@

vendor: $(HLS_STAMP)

migrate: venv
	$(MANAGE) migrate --noinput

seed: venv
	$(MANAGE) seed_demo --if-empty

# Live video: nginx with the RTMP module beside the site (scripts/nginx-rtmp),
# calling Django back on $(PORT); stopped when the site stops.
CALLBACK_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST))
NGINX_RTMP := SPROUT_LIVE_CALLBACK_URL=http://$(CALLBACK_HOST):$(PORT) PYTHON=$(PY) scripts/nginx-rtmp

# The development server is uvicorn, as production's workers are (the live
# rooms' websockets cost what they cost in production: docs/performance.md,
# "make run's server"), reloading when Python under the apps changes
# (templates and static files are read afresh in DEBUG anyway). Open
# websockets get 3 s to close on a reload; the room page reconnects. No
# per-message deflate, as in production (docs/performance.md, "Browsers and
# per-message deflate").
APP_DIRS := config core community live kol wallet shop
DEV_SERVER := $(PY) -m uvicorn config.asgi:application --host $(HOST) --port $(PORT) \
	--reload $(foreach d,$(APP_DIRS),--reload-dir $(d)) --lifespan off --timeout-graceful-shutdown 3 \
	--ws-per-message-deflate false

run: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo --if-empty
	@echo "Sprout is starting at http://$(HOST):$(PORT)  (admin: /admin/, API docs: /api/docs/)"
	@if $(NGINX_RTMP) check; then \
	  $(NGINX_RTMP) with $(DEV_SERVER); \
	else \
	  echo "Live rooms work without video until then."; \
	  $(DEV_SERVER); \
	fi

# nginx-rtmp alone, for a site you start yourself (make run does both).
nginx-rtmp: venv
	$(NGINX_RTMP) start

nginx-rtmp-stop:
	$(NGINX_RTMP) stop

# The production topology on this machine (scripts/stack, docs/deploy.md):
# PostgreSQL database `sprout` unless STACK_DATABASE_URL (or PG_URL) says
# otherwise; Ctrl-C, or make stack-stop from another terminal, stops it all.
# honcho exits 143 when make stack-stop stopped it, 130 on Ctrl-C: normal ends.
stack: venv
	@STACK_DATABASE_URL=$${STACK_DATABASE_URL:-$(PG_URL)} scripts/stack run; \
	  rc=$$?; case $$rc in 0 | 130 | 143) ;; *) exit $$rc ;; esac

stack-stop:
	scripts/stack stop

test: venv test-sqlite test-community-only test-shop-off test-postgres test-browser
	@echo "All test passes finished."

test-sqlite: venv
	@echo "== pass 1/5: SQLite, in-memory channel layer, eager Celery =="
	env -u DATABASE_URL -u REDIS_URL SPROUT_TEST_PASS=sqlite $(PY) -m pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

# Dependencies point one way at run time: with only the kernel and the notes
# community installed (config.settings.community_only), a plain notes site,
# their pages render and their tests pass. Upper apps' tests are not run;
# kernel tests that need an upper app say so (@pytest.mark.apps) and are left out.
test-community-only: venv
	@echo "== pass 2/5: only the kernel and the community installed =="
	env -u DATABASE_URL -u REDIS_URL SPROUT_TEST_PASS=sqlite \
	  DJANGO_SETTINGS_MODULE=config.settings.community_only \
	  $(PY) -m pytest $(XDIST) -m "not browser" tests/core tests/community $(PYTEST_ARGS)

# The shop is optional (SHOP_ENABLED=false leaves it uninstalled): the whole
# suite but the shop's own tests, on a site without it.
test-shop-off: venv
	@echo "== pass 3/5: the shop switched off (SHOP_ENABLED=false) =="
	env -u DATABASE_URL -u REDIS_URL SPROUT_TEST_PASS=sqlite SHOP_ENABLED=false \
	  $(PY) -m pytest $(XDIST) -m "not browser" --ignore=tests/shop $(PYTEST_ARGS)

test-postgres: venv
	@echo "== pass 4/5: PostgreSQL + Redis, real Celery worker =="
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) SPROUT_TEST_PASS=postgres \
	  $(PY) -m pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

# Browser tests marked postgres too (websockets: the live room) need a server
# process sharing the test database, so they run on PostgreSQL (and skip, or
# fail under CI=true, when it is not reachable).
test-browser: venv
	@echo "== pass 5/5: headless Chromium through Playwright =="
	DJANGO_ALLOW_ASYNC_UNSAFE=true SPROUT_TEST_PASS=browser \
	  $(PY) -m pytest -m "browser and not postgres" $(PYTEST_ARGS)
	DJANGO_ALLOW_ASYNC_UNSAFE=true SPROUT_TEST_PASS=browser \
	  DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) \
	  $(PY) -m pytest -m "browser and postgres" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every benchmark in turn (each creates its own PostgreSQL database next to
# PG_URL's and prints its own tables), then bench/report.py's one table of
# issues 10, 12, 13 and 14's goal figures, each beside its goal, with the commit
# and the load average at the start and the end. The scripts record() their
# figures into BENCH_RESULTS (default .bench/results-<UTC time>.jsonl). A
# script that misses a goal exits 1 and the next one still runs; the target's
# exit status is the report's: 0 only when every goal was met and every
# script passed. BENCH_REDIS_URL (a Redis database the flash sale may empty)
# replaces the scripts' defaults (databases 14 and 13).
BENCH_REDIS_URL ?=
BENCH_REDIS := $(if $(BENCH_REDIS_URL),--redis-url $(BENCH_REDIS_URL))

bench: venv
	@results=$${BENCH_RESULTS:-$(CURDIR)/.bench/results-$$(date -u +%Y%m%dT%H%M%SZ).jsonl}; \
	mkdir -p "$$(dirname "$$results")"; \
	export SPROUT_BENCH_RESULTS=$$results DATABASE_URL=$(PG_URL); \
	run() { echo; echo "== $$*"; $(PY) "$$@"; $(PY) bench/report.py ran $$? "$$@"; }; \
	$(PY) bench/report.py begin || exit 1; \
	run bench/thumbnails.py; \
	run bench/feed.py; \
	run bench/screening.py; \
	run bench/live_fanout.py $(BENCH_REDIS); \
	run bench/live_fanout.py --processes 2 --viewers 4000 $(BENCH_REDIS); \
	run bench/gifts.py --websocket --http $(BENCH_REDIS); \
	run bench/flash_sale.py $(BENCH_REDIS); \
	run bench/abr.py; \
	$(PY) bench/report.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache node_modules static/vendor/hls.js
