# The two commands of the README. Each installs what is missing (Debian packages), configures
# meson into build/ if needed, builds, then runs.
#   make demo   build and start the demo server on 127.0.0.1:8080
#   make test   build and run every test
#   make bench  build and run the benchmarks

BUILD   ?= build
BENCH_PACKAGES = nginx-light golang-go python3-gevent python3-bottle python3-gevent-websocket \
                 golang-github-gorilla-websocket-dev node-ws
PACKAGES = meson ninja-build pkg-config g++ libboost1.81-dev libboost-fiber1.81-dev \
           libboost-context1.81-dev doctest-dev nlohmann-json3-dev python3 strace curl apache2-utils httperf wrk \
           python3-websockets chromium libhiredis-dev redis-server

.PHONY: demo test bench deps bench-deps install-missing build

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

test: build
	meson test -C $(BUILD) --print-errorlogs

demo: build
	$(BUILD)/samples/async_primer --host 127.0.0.1 --port 8080

bench: bench-deps build
	$(BUILD)/bench/runtime_bench
	taskset -c 1 $(BUILD)/bench/monkey_bench
	/usr/bin/python3 bench/echo_bench.py $(BUILD) 5
	/usr/bin/python3 bench/http_bench.py $(BUILD) 5
	/usr/bin/python3 bench/ws_bench.py $(BUILD) 5
