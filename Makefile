# Thin wrapper around CMake/CTest.
#   make          release build in build/
#   make check    the test suite: release build, an ASan+UBSan build, and every
#                 fuzzer for CHECK_FUZZ_SECONDS (default 20) each
#   make asan     only the sanitizer build's tests
#   make bench    build the benchmarks (see bench/README.md to run them)
#   make interop  the TensorFlow 2.21 interop suite (tests/interop/, docs/interop.md);
#                 creates .venv-interop/ with scripts/interop-env.sh on first use
JOBS ?= $(shell nproc)

.PHONY: all build check test asan clean bench interop

all: build

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS)

test: build
	cd build && ctest --output-on-failure -j$(JOBS)

asan:
	CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTFCKPT_SANITIZE=ON >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && TFCKPT_QUICK=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j$(JOBS)

CHECK_FUZZ_SECONDS ?= 20
check: test asan
	scripts/fuzz.sh $(CHECK_FUZZ_SECONDS)

bench: build

interop: build
	tests/interop/run.sh build

# make fuzz [FUZZ_SECONDS=N]: build the libFuzzer harnesses (clang, build-fuzz/)
# and run each for N seconds (default 30); see docs/robustness.md.
FUZZ_SECONDS ?= 30
.PHONY: fuzz
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan
