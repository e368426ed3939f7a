# Two commands do all set-up on a fresh machine with only python3 (3.11+): `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed
# The demo's "today": on this day the 2022 漏保漏救 campaign is part-way done (推动落实阶段).
DEMO_TODAY ?= 2022-08-20
DEMO_ENV := DUBAN_DEMO=1 DUBAN_TODAY=$(DEMO_TODAY)
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test install clean worker migration

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更高版本（当前 %s）" % sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The demo: migrate, seed on first start, serve on 127.0.0.1:$(PORT).
run: $(STAMP)
	$(DEMO_ENV) $(FLASK) db upgrade
	$(DEMO_ENV) $(FLASK) demo seed --if-empty
	$(DEMO_ENV) $(FLASK) supervision remind
	@echo "演示地址：http://127.0.0.1:$(PORT)/ （演示日期 $(DEMO_TODAY)，按 Ctrl+C 停止）"
	$(DEMO_ENV) $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Background jobs for a deployment with REDIS_URL set (without it jobs run inline).
worker: $(STAMP)
	$(FLASK) jobs worker

# Regenerate the initial migration from the models (development only; see README).
migration: $(STAMP)  ## autogenerate the next revision from the models: make migration MSG="add surveys"
	test -n "$(MSG)" || (echo 'usage: make migration MSG="what changed"' >&2; exit 2)
	tmp=$$(mktemp -d) && env -u DATABASE_URL DUBAN_INSTANCE=$$tmp DUBAN_DEMO=1 $(FLASK) db upgrade \
	  && env -u DATABASE_URL DUBAN_INSTANCE=$$tmp DUBAN_DEMO=1 $(FLASK) db migrate -m "$(MSG)"; rc=$$?; rm -rf $$tmp; exit $$rc

clean:
	rm -rf $(VENV) instance/duban.sqlite3
