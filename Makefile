# Thin wrapper around CMake/CTest.
#   make          release build in build/
#   make check    the test suite: release build, an ASan+UBSan build, and every
#                 fuzzer for CHECK_FUZZ_SECONDS (default 20) each
#   make asan     only the sanitizer build's tests
#   make minimal  the reading core alone (-DTFCKPT_WITH_NN=OFF): builds, reads, installs
#   make tsan     the threaded tests under ThreadSanitizer (clang, build-tsan/)
#   make install  install headers, libraries, tfckpt.pc (PREFIX, DESTDIR)
#   make bench    build the benchmarks (see bench/README.md to run them)
#   make interop  the TensorFlow 2.21 interop suite (tests/interop/, docs/interop.md);
#                 creates .venv-interop/ with scripts/interop-env.sh on first use
JOBS ?= $(shell nproc)

.PHONY: all build check test asan tsan minimal install clean bench interop

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

# The tests that run threads: the reader shared by threads, the data
# pipeline, training with several threads.
TSAN_TESTS ?= threads|data|truncation
tsan:
	CC=clang cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DTFCKPT_TSAN=ON >/dev/null
	cmake --build build-tsan -j$(JOBS)
	cd build-tsan && TFCKPT_QUICK=1 TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure -j$(JOBS) -R '$(TSAN_TESTS)'

# The reading core alone: optional parts switched off; the tool must still
# build, read and install, and need no OpenBLAS.
minimal:
	cmake -S . -B build-minimal -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTFCKPT_WITH_NN=OFF >/dev/null
	cmake --build build-minimal -j$(JOBS)
	! ldd build-minimal/tfckpt | grep -i blas
	cd build-minimal && ctest --output-on-failure -j$(JOBS) -R 'cli_inspect|cli_install|example_|test_ckpt_reader'

PREFIX ?= /usr/local
install: build
	DESTDIR=$(DESTDIR) cmake --install build --prefix $(PREFIX)

CHECK_FUZZ_SECONDS ?= 20
check: test asan tsan minimal
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
	rm -rf build build-asan build-tsan build-minimal
