# The gateway's set-up, build, demo and test targets.
#   make demo   builds release and runs the simulated store on Config/gateway.yaml
#   make test   installs what is missing, builds, runs the Swift tests and the interop tests

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
APT_PACKAGES := libzmq3-dev libusb-1.0-0-dev libsqlite3-dev pkg-config postgresql umockdev libumockdev-dev gir1.2-umockdev-1.0 python3-gi socat chromium chromium-driver valgrind
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
CONFIG ?= Config/gateway.yaml

.PHONY: setup deps venv build release demo test test-swift test-interop bench fuzz fuzz-build clean

## setup: install the Debian packages and the Python venv the build and tests need
setup: deps venv

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: Tests/Interop/requirements.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r Tests/Interop/requirements.txt
	touch $@

build: deps
	swift build

release: deps
	swift build -c release --product gateway

## demo: the simulated store, with the CRM store and the bus; Ctrl-C stops it gracefully
demo: release
	.build/release/gateway run --config $(CONFIG)

## test: everything CI runs
test: setup test-swift test-interop

# Serial on purpose: the emulated-device tests (pty, umockdev) share two cores with everything else, and
# under a parallel run the M100 pty test has lost frames (see the notes on issue 4); serially they are stable.
test-swift:
	swift build --build-tests
	swift test --skip-build --no-parallel

# The interop tests drive the debug binary the Swift tests already built: no second, release build.
test-interop: build venv
	GATEWAY_BIN=$(CURDIR)/.build/debug/gateway $(PY) -m pytest -q Tests/Interop

## bench: the figures of docs/performance.md: `gateway bench` (release; the table, and its JSON in a file), instructions per operation
## under valgrind (Benchmarks/callgrind.sh, when valgrind is installed) and the package-benchmark suite in Benchmarks/.
## Results land in .build/bench/. Run it on an otherwise quiet machine; only ratios within one run compare well.
BENCH_OUT := .build/bench
bench: deps venv
	swift build -c release --product gateway
	mkdir -p $(BENCH_OUT)
	# The PostgreSQL ingest figures need a server: a throw-away one for the run, as the tests use.
	set -o pipefail; $(PY) Tests/Interop/with_postgres.py .build/release/gateway bench --json-out $(BENCH_OUT)/gateway-bench.json --store '{postgres}' | tee $(BENCH_OUT)/gateway-bench.txt
	@set -o pipefail; if command -v valgrind >/dev/null; then Benchmarks/callgrind.sh | tee $(BENCH_OUT)/instructions.txt; \
	  else echo "valgrind is not installed: no instruction counts"; fi
	set -o pipefail; cd Benchmarks && swift package benchmark --no-progress --format markdown --path stdout | tee ../$(BENCH_OUT)/benchmarks.md

## fuzz: every libFuzzer target of Fuzz/ for FUZZ_SECONDS each (default 60), from its seed corpus in Fuzz/Corpus/<target>.
## New inputs go to Fuzz/.build/corpus/<target> (not committed); a crash or hang is written to Fuzz/.build/artifacts/<target>/
## and stops the run: fix the parser, copy the input to Fuzz/Regressions/<target>/ (FuzzRegressionTests replays it).
## Swift's own crash reporter is off there, so a Swift trap reaches libFuzzer, which saves the input.
FUZZ_SECONDS ?= 60
## FUZZ_RUNS=N stops each target after N inputs instead (the million-execution runs of docs/security.md).
FUZZ_RUNS ?=
FUZZ_TARGETS ?= llrp m100 hid epc-hex epc-uri bus-codec journal config poslog webhook escpos
FUZZ_BUILD := Fuzz/.build
fuzz-build: deps
	swift build -c release --package-path Fuzz --scratch-path $(FUZZ_BUILD) -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library

fuzz: fuzz-build
	@set -o pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts/$$t Fuzz/Regressions/$$t; \
	  echo "== fuzz-$$t for $(if $(FUZZ_RUNS),$(FUZZ_RUNS) inputs,$(FUZZ_SECONDS)s)"; \
	  SWIFT_BACKTRACE=enable=no $(FUZZ_BUILD)/release/fuzz-$$t $(FUZZ_BUILD)/corpus/$$t Fuzz/Corpus/$$t Fuzz/Regressions/$$t \
	    $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t/ 2>&1 | grep -E '^(#[0-9]+ +DONE|stat::|==|INFO: Seed|.*(ERROR|crash|Timeout|deadly))' || exit 1; \
	  test -z "$$(ls -A $(FUZZ_BUILD)/artifacts/$$t)" || { echo "fuzz-$$t found a failing input in $(FUZZ_BUILD)/artifacts/$$t"; exit 1; }; \
	done

clean:
	rm -rf .build $(VENV) .gateway
