# tagood: build, test, demo and benchmark. `make test` and `make demo` install what they need first.

SWIFT          ?= swift
PYTHON         ?= python3
# Debian packages the build, the tests and the demo need (Debian 12).
DEBIAN_PACKAGES := pkg-config libzmq3-dev libopenblas-dev libhdf5-dev hdf5-tools libjpeg-dev libpng-dev libxxhash-dev slurm-wlm munge openssh-server openssh-client
RELEASE_BIN    := .build/release/tagood
BENCH_BIN      := .build/release/tagood-bench
DEBUG_BIN      := .build/debug/tagood

.PHONY: all deps build release test format format-check demo bench fuzz fuzz-replay clean help gpu gpu-toolchain \
	gpu-if-present gpu-check

all: build

help:
	@echo "make deps    install missing Debian packages ($(DEBIAN_PACKAGES))"
	@echo "make build   debug build of tagood"
	@echo "make test    deps + build + every test (and the module graph and the formatting)"
	@echo "make format  apply .swift-format (120 columns) to every Swift file"
	@echo "make demo    deps + build + the end-to-end demo"
	@echo "make bench   deps + release build (tagood, tagood-bench) + benchmarks against the Python references"
	@echo "make fuzz    every libFuzzer target for FUZZ_SECONDS (600) each; see tools/fuzz.sh"
	@echo "make gpu     install the pinned CUDA 13.0 toolchain into .cuda/ (pip) and build .build/cuda/libtagood_cuda.so"

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
	@$(MAKE) --no-print-directory gpu-if-present
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

# MARK: GPU: libtagood_cuda (cuda/src, docs/CUDA.md)
#
# `make gpu` installs CUDA 13.0's compiler, runtime and cuBLAS from PyPI into .cuda/toolchain (about 525 MB,
# once), then builds .build/cuda/libtagood_cuda.so, which GPU workers open with dlopen. NVCC=/path/to/nvcc or
# CUDA_HOME=/usr/local/cuda use an installed CUDA 13.0 instead (then nothing is downloaded). The objects
# depend on the sources and headers, so a rebuild compiles only what changed.
CUDA_TOOLCHAIN   := .cuda/toolchain
CUDA_PIP_PACKAGES := nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 nvidia-cuda-crt==13.0.88 \
	nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85 nvidia-cublas==13.0.2.14
CUDA_GIVEN       := $(strip $(filter-out undefined default,$(origin NVCC)) $(filter-out undefined,$(origin CUDA_HOME)))
ifneq ($(filter-out undefined default,$(origin NVCC)),)
CUDA_ROOT        ?= $(abspath $(dir $(NVCC))/..)
endif
ifneq ($(filter-out undefined,$(origin CUDA_HOME)),)
CUDA_ROOT        ?= $(CUDA_HOME)
endif
CUDA_ROOT        ?= $(CUDA_TOOLCHAIN)/nvidia/cu13
ifeq ($(filter-out undefined default,$(origin NVCC)),)
NVCC             := $(CUDA_ROOT)/bin/nvcc
endif
# libcublasLt.so.13 (libcudart.so.13 is beside it): lib64 in an installed CUDA, lib in the wheels. Both it and
# CUDA_EXTRA_INCLUDE (a folder with cublasLt.h) may be given where cuBLAS lives apart from nvcc.
CUDA_LIBDIR      = $(firstword $(wildcard $(CUDA_ROOT)/lib64/libcublasLt.so.13 $(CUDA_ROOT)/lib/libcublasLt.so.13 \
	$(CUDA_ROOT)/targets/x86_64-linux/lib/libcublasLt.so.13))
CUDA_LIB         := .build/cuda/libtagood_cuda.so
CUDA_SOURCES     := $(wildcard cuda/src/*.cu)
CUDA_HEADERS     := $(wildcard cuda/src/*.cuh) Sources/CTagoodCUDA/include/tagood_cuda.h \
	Sources/CTagoodCUDA/include/tagood_cuda_index.h
CUDA_OBJECTS     := $(patsubst cuda/src/%.cu,.build/cuda/obj/%.o,$(CUDA_SOURCES))
CUDA_ARCHS       ?= -gencode arch=compute_90,code=sm_90 -gencode arch=compute_80,code=sm_80
NVCC_FLAGS       := -O3 -std=c++17 -Xcompiler -fPIC $(CUDA_ARCHS) -I Sources/CTagoodCUDA/include
CUDA_JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

gpu: gpu-toolchain
	@$(MAKE) --no-print-directory -j$(CUDA_JOBS) $(CUDA_LIB)

# The pinned toolchain, unless NVCC or CUDA_HOME names one. A .cuda/toolchain that exists (a directory, or a
# link to an unpacked copy) is used as it is.
gpu-toolchain:
	@if [ -n "$(CUDA_GIVEN)" ]; then \
	  [ -x "$(NVCC)" ] || { echo "make gpu: $(NVCC) is not an executable nvcc (check NVCC / CUDA_HOME)"; exit 1; }; \
	elif [ ! -e $(CUDA_TOOLCHAIN)/nvidia/cu13/bin/nvcc ]; then \
	  echo "make gpu: installing CUDA 13.0 (nvcc, runtime, cuBLAS; about 525 MB) into $(CUDA_TOOLCHAIN)"; \
	  rm -rf $(CUDA_TOOLCHAIN).partial && \
	  $(PYTHON) -m pip install --quiet --no-deps --target $(CUDA_TOOLCHAIN).partial $(CUDA_PIP_PACKAGES) && \
	  chmod +x $(CUDA_TOOLCHAIN).partial/nvidia/cu13/bin/* && \
	  rm -rf $(CUDA_TOOLCHAIN) && mv $(CUDA_TOOLCHAIN).partial $(CUDA_TOOLCHAIN); \
	fi

.build/cuda/obj/%.o: cuda/src/%.cu $(CUDA_HEADERS)
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCC_FLAGS) -I $(CUDA_ROOT)/include $(if $(CUDA_EXTRA_INCLUDE),-I $(CUDA_EXTRA_INCLUDE)) -c $< -o $@

# Linked against the shared runtime and cuBLAS (versioned names: the wheels have no unversioned links),
# with an rpath to where they are, so that dlopen finds them without LD_LIBRARY_PATH.
$(CUDA_LIB): $(CUDA_OBJECTS)
	@[ -n "$(CUDA_LIBDIR)" ] || { echo "make gpu: no libcublasLt.so.13 under $(CUDA_ROOT)/lib64 or lib"; exit 1; }
	$(NVCC) -shared -cudart none -o $@ $(CUDA_OBJECTS) -L $(abspath $(dir $(CUDA_LIBDIR))) \
	  -l:libcublasLt.so.13 -l:libcublas.so.13 -l:libcudart.so.13 \
	  -Xlinker -rpath -Xlinker $(abspath $(dir $(CUDA_LIBDIR)))
	@echo "make gpu: built $@"

# `make test`'s hook: the library is compiled (incrementally) where the toolchain is, and its C API is
# checked without a GPU (tools/gpu/smoke.py: it loads, and says NO_DEVICE cleanly where there is none).
gpu-if-present:
	@if [ -n "$(CUDA_GIVEN)" ] || [ -e $(CUDA_TOOLCHAIN)/nvidia/cu13/bin/nvcc ]; then \
	  { $(MAKE) -q $(CUDA_LIB) 2>/dev/null || $(MAKE) --no-print-directory -j$(CUDA_JOBS) $(CUDA_LIB); } && \
	  $(PYTHON) tools/gpu/smoke.py $(CUDA_LIB); \
	else \
	  echo "make test: CUDA toolchain not installed (make gpu installs it); libtagood_cuda not compiled"; \
	fi

# The device check (run on a GPU machine; here it stops where it needs the GPU): tools/gpu/check.sh.
gpu-check:
	tools/gpu/check.sh
