# warden — build, run, test. Only Go is needed; `make test` installs the
# Debian packages the end-to-end tests use when it runs as root.

GO        ?= go
BIN       := bin/warden
DATA      ?= data
PKGS      := ./...
TEST_PKGS ?= ./...
DEB_PKGS  := redis-server redis-sentinel redis-tools haproxy python3-redis

.PHONY: build run test test-short deps bench bench-server fuzz lint vet clean

build:
	$(GO) build -o $(BIN) ./cmd/warden

# The main job. For now: one node on 6379 with its data in ./data.
run: build
	mkdir -p $(DATA)/node-6379
	./$(BIN) server --port 6379 --dir $(DATA)/node-6379 --save "3600 1 300 100 60 10000"

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

bench: bench-server

# Side-by-side redis-benchmark of redis-server 7.0 and warden; writes a
# table to benchmarks/results/.
bench-server: build deps
	./benchmarks/server-bench.sh

clean:
	rm -rf bin
