# LittleWings for Jupyter. `make run` and `make test` each do every set-up step they need.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8888
DEMO ?= littlewings-demo
IMAGE ?= littlewings/busybox:latest
PYTEST_ARGS ?=

.PHONY: run test test-fast test-loaded lint bench setup docker images podman browser demo clean

# Everything, then JupyterLab with LittleWings and a demo container to look at.
run: setup docker demo
	$(VENV)/bin/jupyter lab --no-browser --ip=127.0.0.1 --port=$(PORT) $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

# Everything, then the whole test suite against a real Docker engine and a real chromium: the
# labextension's unit tests (jest, in node), then pytest.
# The browser tests run in a pytest process of their own: Playwright's sync API keeps an event
# loop running in the main thread, which pytest-jupyter's fixtures cannot share.
test: setup docker images podman browser
	cd labextension && npm test
	$(PY) -m pytest -m "not browser" $(PYTEST_ARGS)
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# Before resolving an issue: the whole suite from a clean clone of HEAD with two CPU burners
# running, RUNS times (default 3). CI itself runs unloaded.
test-loaded:
	bash scripts/loaded-ci.sh $(or $(RUNS),3)

# The quick loop: no Docker, no browser (jest's unit tests, then pytest's).
test-fast: setup
	cd labextension && npm test
	$(PY) -m pytest -m "not docker and not browser" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check littlewings_jupyter tests bench
	$(VENV)/bin/ruff format --check littlewings_jupyter tests bench
	$(VENV)/bin/mypy

bench: setup docker
	$(PY) bench/run_all.py

# A virtualenv with the package (its JupyterLab extension built by npm) and the test tools.
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml labextension/package.json labextension/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is needed to build the JupyterLab extension"; exit 1; }
	[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	rm -rf littlewings_jupyter/labextension
	$(PY) -m pip install -q -e ".[test]"
	touch $@

# A Docker engine that answers, and the local busybox image (nothing can be pulled here).
docker:
	bash scripts/docker-up.sh

# The tests' real-software image (Debian 12 with nginx and Python; ≈1 min the first time on a
# machine): built here, before pytest, so that no test's time limit includes building it.
images: docker
	bash scripts/debian-image.sh >/dev/null

# A Podman API service on LittleWings' own socket (apt's podman and runc when missing), with the
# busybox image: the engine-neutral suites run on Docker and on Podman (tests marked both_engines).
podman: docker
	bash scripts/podman-up.sh >/dev/null

# Debian's chromium for the browser tests (never `playwright install`: it cannot download).
browser:
	@[ -x /usr/bin/chromium ] || { \
	  [ "$$(id -u)" = 0 ] || { echo "please install chromium (apt-get install chromium)"; exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# A console-style demo container: logs a tick every 3 s, answers commands on its stdin.
demo: docker
	@if docker inspect $(DEMO) >/dev/null 2>&1; then docker start $(DEMO) >/dev/null; else \
	  docker run -d -i --name $(DEMO) --network none --label littlewings.demo=1 $(IMAGE) demo-console >/dev/null; fi
	@echo "demo container '$(DEMO)' is running: open the LittleWings sidebar in JupyterLab"

clean:
	rm -rf $(VENV) littlewings_jupyter/labextension labextension/lib labextension/node_modules
