# The two commands of the README. Each installs what is missing (Debian packages), configures
# meson into build/ if needed, builds, then runs.
#   make demo   build and start the demo server on 127.0.0.1:8080
#   make test   build and run every test, in the release build and again under ASan+UBSan
#   make bench  build and run the benchmarks
#   make test-tsan  the runtime's tests and a two-hub server under load, under ThreadSanitizer
#   make fuzz   build the libFuzzer targets with clang++ and run each for FUZZ_SECONDS (CI does)

SHELL := /bin/bash
BUILD   ?= build
# The sanitizer build: AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer,
# any report fails the test. -O1 keeps it fast enough to run the end-to-end tests too. No
# stack-use-after-return detection: see runtime/detail/fiber_sanitizers.hpp.
SANITIZE_BUILD ?= build-sanitize
SANITIZE_FLAGS = -O1 -g1 -fno-sanitize-recover=all
export ASAN_OPTIONS = detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS = print_stacktrace=1:halt_on_error=1
# The ThreadSanitizer build (make test-tsan): the runtime's tests and a two-hub server under load
# with every cross-hub primitive in use (tests/http/multi_hub_server.cpp).
TSAN_BUILD ?= build-tsan
TSAN_FLAGS = -O1 -g1
export TSAN_OPTIONS = halt_on_error=1:second_deadlock_stack=1
# The libFuzzer build: clang++, coverage on everything, ASan+UBSan.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS = -O1 -g1 -fsanitize=fuzzer-no-link -fno-sanitize-recover=all
BENCH_PACKAGES = golang-go python3-gevent python3-bottle python3-gevent-websocket \
                 golang-github-gorilla-websocket-dev node-ws
PACKAGES = meson ninja-build pkg-config g++ libboost1.81-dev libboost-fiber1.81-dev \
           libboost-context1.81-dev doctest-dev nlohmann-json3-dev python3 strace curl apache2-utils httperf wrk \
           python3-websockets chromium libhiredis-dev redis-server clang libclang-rt-14-dev locales \
           libssl-dev openssl nginx-light libpq-dev postgresql netbase

.PHONY: demo test test-release test-sanitize test-tsan fuzz bench deps bench-deps install-missing build

deps:
	@$(MAKE) --no-print-directory install-missing WANT="$(PACKAGES)"

bench-deps:
	@$(MAKE) --no-print-directory install-missing WANT="$(PACKAGES) $(BENCH_PACKAGES)"

install-missing:
	@missing=$$(for p in $(WANT); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The sanitizer and fuzz builds compile each target as one unit per four sources (-Dunity=on):
# half the CPU time (the headers and Beast's templates are compiled once per unit, not per
# file). The release build stays per file, so a source missing an include still fails there.
$(SANITIZE_BUILD)/build.ninja:
	meson setup $(SANITIZE_BUILD) -Dbuildtype=plain -Dunity=on -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbench=false -Dcpp_args="$(SANITIZE_FLAGS)" -Dc_args="$(SANITIZE_FLAGS)"

test: test-release test-sanitize

test-release: build
	meson test -C $(BUILD) --print-errorlogs

test-sanitize: deps $(SANITIZE_BUILD)/build.ninja
	ninja -C $(SANITIZE_BUILD)
	meson test -C $(SANITIZE_BUILD) --print-errorlogs

$(TSAN_BUILD)/build.ninja:
	meson setup $(TSAN_BUILD) -Dbuildtype=plain -Db_sanitize=thread -Db_lundef=false -Dbench=false \
		-Dcpp_args="$(TSAN_FLAGS)" -Dc_args="$(TSAN_FLAGS)"

test-tsan: deps $(TSAN_BUILD)/build.ninja
	ninja -C $(TSAN_BUILD)
	meson test -C $(TSAN_BUILD) --print-errorlogs --suite runtime --suite multi_hub

$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ meson setup $(FUZZ_BUILD) -Dfuzz=true -Dbench=false -Dbuildtype=plain -Dunity=on \
		-Db_sanitize=address,undefined -Db_lundef=false -Dcpp_args="$(FUZZ_FLAGS)" -Dc_args="$(FUZZ_FLAGS)"

# Each target (tests/fuzz/<target>_fuzz) from its seed corpus (tests/fuzz/<corpus>_corpus, the
# part after the colon) for FUZZ_SECONDS; new inputs go to a scratch directory. A crash, a
# sanitizer report or a hang (-timeout) fails.
fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) tests/fuzz/http_request_fuzz tests/fuzz/ws_frame_fuzz tests/fuzz/http_response_fuzz \
		tests/fuzz/tls_request_fuzz
	@for pair in http_request:http ws_frame:ws http_response:response tls_request:http; do \
		target=$${pair%%:*}; corpus=$${pair#*:}; \
		scratch=$$(mktemp -d); \
		$(FUZZ_BUILD)/tests/fuzz/$${target}_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=30 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/$${target}- $$scratch tests/fuzz/$${corpus}_corpus \
			> $(FUZZ_BUILD)/$${target}.log 2>&1; \
		status=$$?; rm -rf $$scratch; \
		grep -m1 'INFO: Seed' $(FUZZ_BUILD)/$${target}.log; tail -8 $(FUZZ_BUILD)/$${target}.log; \
		[ $$status -eq 0 ] || { grep -v '^#' $(FUZZ_BUILD)/$${target}.log | tail -150; \
			echo "fuzz: $$target failed, input saved as $(FUZZ_BUILD)/$${target}-*"; exit 1; }; \
	done

demo: build
	$(BUILD)/samples/async_primer --host 127.0.0.1 --port 8080

bench: bench-deps build
	$(BUILD)/bench/runtime_bench
	taskset -c 1 $(BUILD)/bench/monkey_bench
	$(BUILD)/bench/fileobject_bench
	/usr/bin/python3 bench/echo_bench.py $(BUILD) 5
	/usr/bin/python3 bench/http_bench.py $(BUILD) 5
	/usr/bin/python3 bench/ws_bench.py $(BUILD) 5
	/usr/bin/python3 bench/tls_bench.py $(BUILD) 5
	/usr/bin/python3 bench/process_bench.py $(BUILD) 5
	/usr/bin/python3 bench/soak.py $(BUILD)
