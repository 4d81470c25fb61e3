# warden — build, run, test. Only Go is needed; `make test` installs the
# Debian packages the end-to-end tests use when it runs as root.

GO        ?= go
BIN       := bin/warden
DATA      ?= data
PKGS      := ./...
TEST_PKGS ?= ./...
DEB_PKGS  := redis-server redis-sentinel redis-tools haproxy python3-redis

.PHONY: build run test test-short deps bench bench-server bench-compare bench-failover bench-repl fuzz lint vet clean

build:
	$(GO) build -o $(BIN) ./cmd/warden

# The main job: the local HA topology behind the proxy (3 nodes on
# 6379-6381, 3 sentinels on 26379-26381, the proxy on 5000 write / 5001
# read / 8404 HTTP), data in ./data. Ctrl-C stops everything.
run: build
	./$(BIN) up --dir $(DATA)

# deps installs the packages the end-to-end tests start, when missing and
# when we may (root with apt-get). Otherwise those tests skip and say why.
deps:
	@missing=""; \
	for b in redis-server redis-sentinel redis-cli haproxy redis-check-rdb redis-check-aof; do \
	  command -v $$b >/dev/null 2>&1 || missing="$$missing $$b"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing $(DEB_PKGS) (missing:$$missing)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS)) >/dev/null || \
	    echo "warning: could not install $(DEB_PKGS); tests that need them will skip"; \
	  for s in redis-server redis-sentinel haproxy; do \
	    (service $$s stop || true) >/dev/null 2>&1; \
	  done; \
	else \
	  echo "note:$$missing not installed and not root: tests that need them will skip"; \
	fi

test: deps
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 20m $(TEST_PKGS)

test-short:
	$(GO) test -short -count=1 $(TEST_PKGS)

vet:
	$(GO) vet $(PKGS)

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Fuzz each target for FUZZTIME (default 30s). Seeds live in testdata/fuzz.
FUZZTIME ?= 30s
fuzz:
	$(GO) test ./internal/resp -run '^$$' -fuzz '^FuzzReadCommand$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/resp -run '^$$' -fuzz '^FuzzSplitInline$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/redisconf -run '^$$' -fuzz '^FuzzSplitArgs$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/redisconf -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./backend/rdb -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/resp -run '^$$' -fuzz '^FuzzReadReply$$' -fuzztime $(FUZZTIME)
	$(GO) test ./sentinel/core -run '^$$' -fuzz '^FuzzLoadConfig$$' -fuzztime $(FUZZTIME)
	$(GO) test ./proxy -run '^$$' -fuzz '^FuzzLoadConfig$$' -fuzztime $(FUZZTIME)
	$(GO) test ./routing -run '^$$' -fuzz '^FuzzLookup$$' -fuzztime $(FUZZTIME)

bench: bench-server bench-compare

# warden proxy vs HAProxy vs direct, side by side (warden bench compare).
bench-compare: build deps
	./$(BIN) bench compare --out benchmarks/results

# kill -9 / SIGSTOP of the master under numbered writes: warden vs
# redis-server + redis-sentinel + HAProxy (warden bench failover).
bench-failover: build deps
	./$(BIN) bench failover --out benchmarks/results

# Replication, warden vs redis-server side by side: full sync of 1M keys
# and replica lag under redis-benchmark -P 16 load (e2e benchmarks; the
# figures are in the log).
bench-repl: deps
	$(GO) test -count=1 -run '^$$' -bench 'BenchmarkReplication(FullSync|Lag)$$' -benchtime 1x -timeout 30m -v ./e2e/

# Side-by-side redis-benchmark of redis-server 7.0 and warden; writes a
# table to benchmarks/results/.
bench-server: build deps
	./benchmarks/server-bench.sh

clean:
	rm -rf bin
