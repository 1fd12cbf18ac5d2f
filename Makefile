# The project's commands. `make demo` and `make test` set up everything they need.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup test lint demo crawl clean fuzz faults deploy audit package-check

$(STAMP): requirements.txt requirements-dev.txt requirements-browser.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

## setup: create the virtualenv with pinned dependencies
setup: $(STAMP)

## lint: ruff and mypy
lint: setup
	$(PY) -m ruff check .
	$(PY) -m mypy

## test: lint, type checks, the package check and the whole test suite (unit and end-to-end
##       against the replica)
test: lint package-check
	$(PY) -m pytest

## demo: crawl a local replica of about 60 articles in three languages into output/
demo: setup
	$(PY) -m tests.demo

## crawl: crawl the live site politely into output/ (needs network access to caliber.az)
crawl: setup
	$(VENV)/bin/scrapy crawl analytics

## package-check: build a wheel from this checkout, install it into a fresh venv in a
##                temporary directory (dependencies from pyproject.toml, held to the pins of
##                constraints.txt) and run `scrapy list` there from the project directory
package-check: setup
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && set -e && \
	$(PY) -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
		-w "$$tmp/dist" . && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
		-c constraints.txt "$$tmp"/dist/*.whl && \
	(cd / && "$$tmp/venv/bin/python" -c "import crawler.declarations, crawler.validation as v; \
		assert '/site-packages/crawler/' in crawler.declarations.__file__; v.article_schema()") && \
	spiders=$$(env -u PYTHONPATH "$$tmp/venv/bin/scrapy" list) && \
	test "$$spiders" = analytics && echo "package-check: the installed wheel lists '$$spiders'"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

## deploy: build the egg and deploy it to the scrapyd at $SCRAPYD_URL (basic auth from
##         $SCRAPYD_USERNAME/$SCRAPYD_PASSWORD); version = timestamp, so the newest runs
deploy: setup
	@test -n "$$SCRAPYD_URL" || { echo "make deploy: set SCRAPYD_URL, e.g. http://127.0.0.1:6800" >&2; exit 2; }
	@case "$${SCRAPYD_PASSWORD-}" in ""|change-me) echo "make deploy: set SCRAPYD_PASSWORD to your scrapyd's password (not empty, not the placeholder change-me)" >&2; exit 2;; esac
	SCRAPYD_USERNAME="$${SCRAPYD_USERNAME-}" SCRAPYD_PASSWORD="$${SCRAPYD_PASSWORD-}" \
		$(VENV)/bin/scrapyd-deploy

## fuzz: the parser fuzzing with many more cases than the suite (FUZZ_EXAMPLES), new
##       random ones each time (the suite's are fixed: tests/conftest.py)
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-3000} $(PY) -m pytest -q tests/test_fuzz.py

## faults: the long fault-injected crawl (500 articles) and SIGKILL trials of issue 7
faults: setup
	$(PY) -m pytest -q -s -m slow tests/test_faults_e2e.py tests/test_incremental_e2e.py

## audit: pip-audit of every pinned dependency (needs PyPI's JSON API; --strict fails on
## any package it could not audit, so an unreachable database never passes as "clean")
audit: setup
	$(PY) -m pip install --quiet -r requirements-audit.txt -c constraints.txt
	$(VENV)/bin/pip-audit --strict --progress-spinner off -r requirements.txt -r requirements-dev.txt \
		-r requirements-bench.txt -r requirements-audit.txt

## bench: benchmarks as ratios to baselines of the same run (extraction vs parsel and
##        trafilatura, unthrottled crawl vs scrapy bench, RSS 20k vs 2k, request floor);
##        writes bench/results.json and the table in docs/benchmarks.md
.PHONY: bench
bench: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt -c constraints.txt
	$(PY) -m bench.run
