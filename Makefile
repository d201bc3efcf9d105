# tagood: build, test, demo and benchmark. `make test` and `make demo` install what they need first.

SWIFT          ?= swift
PYTHON         ?= python3
# Debian packages the build, the tests and the demo need (Debian 12).
DEBIAN_PACKAGES := pkg-config libzmq3-dev libopenblas-dev libhdf5-dev hdf5-tools libjpeg-dev libpng-dev libxxhash-dev slurm-wlm munge openssh-server openssh-client
RELEASE_BIN    := .build/release/tagood
BENCH_BIN      := .build/release/tagood-bench
DEBUG_BIN      := .build/debug/tagood

.PHONY: all deps build release test format format-check demo bench fuzz fuzz-replay clean help

all: build

help:
	@echo "make deps    install missing Debian packages ($(DEBIAN_PACKAGES))"
	@echo "make build   debug build of tagood"
	@echo "make test    deps + build + every test (and the module graph and the formatting)"
	@echo "make format  apply .swift-format (120 columns) to every Swift file"
	@echo "make demo    deps + build + the end-to-end demo"
	@echo "make bench   deps + release build (tagood, tagood-bench) + benchmarks against the Python references"
	@echo "make fuzz    every libFuzzer target for FUZZ_SECONDS (600) each; see tools/fuzz.sh"

# Installs the Debian packages that are missing; silent when none is. Without root (and without
# password-less sudo) it prints the exact command to run instead.
deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else \
	  echo "deps: cannot install as $$(id -un). Run:"; \
	  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$$missing"; \
	  exit 1; \
	fi; \
	$$SUDO apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The module graph first (imports and Package.swift against docs/DESIGN.md) and the formatting, then
# build the tests once and run them without rebuilding.
test: deps
	$(PYTHON) tools/check_module_graph.py --self-test
	$(PYTHON) tools/check_module_graph.py
	$(MAKE) --no-print-directory format-check
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) --no-print-directory fuzz-replay
	rm -rf /tmp/tagood-fuzz-smoke
	FUZZ_SEED=1 FUZZ_WORK=/tmp/tagood-fuzz-smoke tools/fuzz.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_SMOKE_TARGETS)

# Every Swift file as swift-format (the toolchain's) writes it with .swift-format: 4 spaces, 120 columns.
SWIFT_FILES_ROOTS := Sources Tests Fuzz Package.swift

format:
	$(SWIFT) format format --configuration .swift-format --in-place --recursive --parallel $(SWIFT_FILES_ROOTS)

format-check:
	@$(SWIFT) format lint --strict --configuration .swift-format --recursive --parallel $(SWIFT_FILES_ROOTS) \
	  || { echo "format-check: run \`make format\` (swift-format, .swift-format) and commit the result"; exit 1; }
	@echo "format-check: every Swift file as .swift-format writes it"

FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 5
FUZZ_TARGETS       := protocol journal plan config checkpoint list image shard credential tar
FUZZ_SMOKE_TARGETS := $(FUZZ_TARGETS)

# Every committed seed and regression input through its parser (the debug build's replay executables).
fuzz-replay:
	@for t in $(FUZZ_TARGETS); do \
	  inputs="Fuzz/Corpus/$$t"; [ -d Fuzz/Regressions/$$t ] && inputs="$$inputs Fuzz/Regressions/$$t"; \
	  .build/debug/fuzz-$$t $$inputs || exit 1; \
	done

# libFuzzer on every parser that reads outside input, FUZZ_SECONDS each (tools/fuzz.sh).
fuzz: deps
	tools/fuzz.sh $(FUZZ_SECONDS)

# The whole pipeline on a generated dataset: see `tagood demo --help`.
demo: deps
	$(SWIFT) build
	$(DEBUG_BIN) demo

bench: release
	$(PYTHON) tools/bench.py --tagood $(RELEASE_BIN) --bench $(BENCH_BIN)

clean:
	rm -rf .build
