# hubbar: `make demo` starts the demo, `make test` runs the whole suite. Both install first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: demo serve test test-browser install translations extract-messages lint clean bench-occupancy bench

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("hubbar needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --statistics -d hubbar/translations 2>&1 | grep -v '^compiling' || true

# Refresh the message catalogue after changing user-facing strings.
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o hubbar/translations/messages.pot --no-location --sort-output --width 100 --project hubbar .
	$(BIN)/pybabel update -i hubbar/translations/messages.pot -d hubbar/translations --no-fuzzy-matching --ignore-obsolete --width 100

demo: install
	$(BIN)/flask db upgrade
	$(BIN)/flask hubbar demo --if-empty
	@echo "hubbar is running at http://127.0.0.1:$(PORT)  (stop with Ctrl+C)"
	HUBBAR_SCHEDULER_ENABLED=true $(BIN)/flask run --no-debugger --no-reload --host 127.0.0.1 --port $(PORT)

# Production: needs HUBBAR_SECRET_KEY and HUBBAR_DATABASE_URL (docs/); migrates, then gunicorn
# (gunicorn.conf.py; HUBBAR_WORKERS, HUBBAR_BIND).
serve: install
	@test -n "$$HUBBAR_SECRET_KEY" || { echo "make serve: set HUBBAR_SECRET_KEY to a random secret of at least 32 characters, e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'" >&2; exit 1; }
	@test -n "$$HUBBAR_DATABASE_URL" || { echo "make serve: set HUBBAR_DATABASE_URL to the database, e.g. postgresql+psycopg://hubbar@localhost/hubbar" >&2; exit 1; }
	HUBBAR_ENV=production $(BIN)/flask db upgrade
	HUBBAR_ENV=production $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Only the browser journeys and axe scans (Debian's Chromium: apt-get install -y chromium).
test-browser: install
	$(BIN)/pytest tests/browser $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check hubbar tests bench
	$(BIN)/ruff format --check hubbar tests bench

clean:
	rm -rf $(VENV) instance .pytest_cache

# Time every occupancy metric for one hub over a year of 100,000 bookings (PostgreSQL).
bench-occupancy: $(VENV)/.installed
	$(BIN)/python bench/occupancy.py

# The city-scale benchmark (bench/README.md): seed SCALE (S, M or L) into PostgreSQL, start
# gunicorn, measure every scenario. `make bench` runs S in a few minutes; `make bench SCALE=M`.
SCALE ?= S
bench: $(VENV)/.installed translations
	$(BIN)/python bench/city.py --scale $(SCALE) $(BENCH_ARGS)
