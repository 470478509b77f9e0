# wyapp — the two commands a newcomer needs are `make run` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
WYAPP  := $(VENV)/bin/wyapp
PORT   ?= 5000
HOST   ?= 127.0.0.1

.PHONY: install install-test run run-https test bench lint clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

.install-stamp: pyproject.toml | $(PY)
	$(PIP) install -q -e '.[redis]'
	touch $@

.install-stamp-test: pyproject.toml .install-stamp
	$(PIP) install -q -e '.[redis,test]'
	touch $@

static/vendor/.stamp: package.json $(wildcard package-lock.json) scripts/vendor-assets.sh
	scripts/vendor-assets.sh
	touch $@

install: .install-stamp static/vendor/.stamp
	scripts/system-deps.sh run

install-test: install .install-stamp-test
	scripts/system-deps.sh test

# The queue worker (periodic jobs, archive PDFs) runs beside the development server.
run: install
	$(WYAPP) init-db
	$(WYAPP) demo --if-empty
	$(VENV)/bin/huey_consumer wyapp.worker.huey -k thread -w 2 -q & \
	  trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	  $(WYAPP) run --host $(HOST) --port $(PORT)

# A self-signed certificate for trying the phone features (camera, service worker) on a LAN.
run-https: install
	@test -f instance/tls/cert.pem || (mkdir -p instance/tls && openssl req -x509 -newkey rsa:2048 -nodes \
	  -keyout instance/tls/key.pem -out instance/tls/cert.pem -days 365 -subj /CN=wyapp)
	$(WYAPP) init-db
	$(WYAPP) demo --if-empty
	$(VENV)/bin/huey_consumer wyapp.worker.huey -k thread -w 2 -q & \
	  trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	  $(WYAPP) run --host 0.0.0.0 --port $(PORT) --cert instance/tls/cert.pem --key instance/tls/key.pem

# two test processes (pytest-xdist): the suite is half waiting on browsers and servers
test: install-test
	$(VENV)/bin/pytest -n 2

bench: install-test
	$(PY) bench/home_rps.py
	$(PY) bench/patrol_scan_rps.py
	$(PY) bench/offline_drain.py
	$(PY) bench/archive_render.py

lint: install-test
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules static/vendor .install-stamp .install-stamp-test
