# Two commands for a fresh Debian machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev translations extract-messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed translations
install-dev: $(VENV)/.installed-dev translations

translations: | $(BIN)/python
	$(BIN)/pybabel compile -d app/translations

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract --ignore-dirs='.* __pycache__' -F babel.cfg -k _l -k lazy_gettext -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

# Development: e-mails go to the console; the outbox worker runs beside the web server.
run: install
	$(FLASK) db upgrade
	$(FLASK) content import --if-empty
	$(FLASK) demo load
	$(FLASK) index update
	@echo "Demo logins: anna.schmidt@example.com / demo-kunde, agent@example.com / demo-agent, lead@example.com / demo-lead, editor@example.com / demo-editor, admin@example.com / demo-admin"
	HELPCENTER_MAIL_BACKEND=console $(FLASK) outbox work & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	HELPCENTER_MAIL_BACKEND=console $(FLASK) run --host $(HOST) --port $(PORT)

# Installs chromium for the browser tests when missing (as root) and runs the PostgreSQL half when
# a local PostgreSQL answers; see .ci/run-tests.
# TEST_WORKERS pytest-xdist workers (0: none); whole files stay on one worker, so module fixtures
# (the live server's demo shop) are set up once per file. Each worker has its own PostgreSQL database.
TEST_WORKERS ?= 2
test: install-dev
	.ci/run-tests $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=40 $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/search_bench.py

clean:
	rm -rf $(VENV) search_index .pytest_cache
