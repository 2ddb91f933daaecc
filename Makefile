# Two entry points: `make run` (demo shop on http://127.0.0.1:8000/) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run worker worker-gpu test install install-dev install-axe lint migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt weights/manifest.json $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# The body model's files (MediaPipe, Apache-2.0), taken from the mediapipe wheel and checked by SHA-256.
	$(BIN)/python -m tryon.pipeline.body.install
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# axe-core (npm registry, version pinned in tests/e2e/axe/package-lock.json) for the browser tests'
# accessibility scans; injected from disk into each page, never served by the shop.
AXE_DIR := tests/e2e/axe
$(AXE_DIR)/node_modules/axe-core/axe.min.js: $(AXE_DIR)/package-lock.json
	npm ci --prefix $(AXE_DIR) --no-audit --no-fund
	touch $@
install-axe: $(AXE_DIR)/node_modules/axe-core/axe.min.js

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo --base-url http://$(HOST):$(PORT)/

run: seed
	@echo "Revetir is starting on http://$(HOST):$(PORT)/  (staff admin: http://$(HOST):$(PORT)/admin/)"
	@# Links in order e-mails point at this address unless REVETIR_SITE_URL says otherwise.
	REVETIR_SITE_URL="$${REVETIR_SITE_URL:-http://$(HOST):$(PORT)}" $(BIN)/daphne -b $(HOST) -p $(PORT) revetir.asgi:application

# A try-on worker for a scaled-out shop (needs REVETIR_REDIS_URL; broker REVETIR_BROKER_URL).
worker: install
	$(BIN)/celery -A revetir worker -Q $${REVETIR_TRYON_QUEUE:-tryon} --loglevel INFO

# A try-on worker on a machine with a CUDA GPU, for FASHN VTON v1.5 jobs: its own queue, one process
# per GPU (REVETIR_TRYON_WORKER_CONCURRENCY), the model loaded and warmed up when the process starts.
worker-gpu: install
	$(BIN)/celery -A revetir worker -Q $${REVETIR_TRYON_GPU_QUEUE:-tryon-gpu} --loglevel INFO

lint: install-dev
	$(BIN)/ruff check .

test: install-dev install-axe
	$(BIN)/ruff check .
	$(BIN)/python -m pytest
	@# Sync Playwright and pytest-asyncio clash in one process, so the browser tests run on their own.
	$(BIN)/python -m pytest tests/e2e

# --- MongoDB (django-mongodb-backend) ----------------------------------------------------------
.PHONY: test-mongo mongo-migrations

# The whole suite against a MongoDB replica set (6.0 or newer). The tests create and drop the
# database test_<name> on that server; they never touch <name> itself.
test-mongo:
	@if [ -z "$$REVETIR_TEST_MONGODB_URI" ]; then \
		echo "make test-mongo needs REVETIR_TEST_MONGODB_URI, the connection string of a MongoDB 6.0+ replica set," >&2; \
		echo "for example: make test-mongo REVETIR_TEST_MONGODB_URI='mongodb://127.0.0.1:27017/revetir?replicaSet=rs0'" >&2; \
		exit 2; \
	fi
	$(MAKE) install-dev
	REVETIR_MONGODB_URI="$$REVETIR_TEST_MONGODB_URI" $(BIN)/python -m pytest

# Rewrites mongodb/migrations/ after a model change (no server needed: dummy engine).
mongo-migrations: install-dev
	DJANGO_SETTINGS_MODULE=revetir.settings_mongo_migrations $(BIN)/python manage.py makemigrations \
		admin auth contenttypes accounts shop tryon
	$(BIN)/ruff format mongodb/migrations
	$(BIN)/ruff check --fix --quiet mongodb/migrations

clean:
	rm -rf $(VENV) data
