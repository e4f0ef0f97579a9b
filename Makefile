# openler — the two commands a fresh machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint typecheck pytest services browser demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever the declared dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Migrate the embedded SQLite database (./var), seed the demo world (idempotent), and serve
# the platform on 127.0.0.1:8000 as http://localhost:8000 (OPENLER_* variables change it).
run: install
	$(BIN)/openler db upgrade
	$(BIN)/openler seed
	@echo "API tokens for the demo organizations: $(BIN)/openler token create --org lakeshore-cc"
	$(BIN)/openler serve --host 127.0.0.1 --port 8000

# The command-line story: issue, verify, revoke, verify (files under demo-out/).
demo: install
	$(BIN)/openler demo --out demo-out

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# The integration tests also run on PostgreSQL (127.0.0.1:5432), the bulk-issuance tests on
# Redis (6379) and RabbitMQ (5672): start whichever is down. The browser tests drive Debian's
# chromium package (installed here when missing; Playwright never downloads a browser).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
	@rabbitmq-diagnostics -q ping >/dev/null 2>&1 || rabbitmq-server -detached || true
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; \
	  echo "PostgreSQL is not accepting connections on 127.0.0.1:5432" >&2; exit 1
	@for i in $$(seq 1 60); do rabbitmq-diagnostics -q ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
	  echo "RabbitMQ is not answering on 127.0.0.1:5672" >&2; exit 1

browser:
	@test -x /usr/bin/chromium || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) >/dev/null

pytest: install services browser
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/core_suites.py

clean:
	rm -rf $(VENV) demo-out var .pytest_cache .mypy_cache .ruff_cache
