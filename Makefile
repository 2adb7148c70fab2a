# ajar: build and test.
#   make            build ./ajar (static, CGO_ENABLED=0)
#   make test       install test dependencies (as root), then vet, cross-build and run every test
#   make bench      the benchmarks: Go benchmarks and the side-by-side scripts

GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X main.version=$(VERSION)
export CGO_ENABLED := 0

.PHONY: all build test test-deps vet crossbuild gotest bench fuzz clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o ajar ./cmd/ajar

test: test-deps vet crossbuild gotest

test-deps:
	./scripts/test-deps.sh

vet:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# Other systems go through one seam; they must keep building.
crossbuild:
	GOOS=darwin  GOARCH=arm64 $(GO) build ./...
	GOOS=windows GOARCH=amd64 $(GO) build ./...
	GOOS=linux   GOARCH=arm64 $(GO) build ./...

gotest:
	$(GO) test -count=1 -timeout 15m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./bench/sockets.sh
	./bench/scan.sh
	./bench/pace.sh
	./bench/udp.sh

fuzz:
	$(GO) test ./portspec -run '^$$' -fuzz FuzzParseRanges -fuzztime 30s
	$(GO) test ./report -run '^$$' -fuzz FuzzJSONString -fuzztime 30s
	$(GO) test ./scan/journal -run '^$$' -fuzz FuzzReadLines -fuzztime 30s
	$(GO) test ./run -run '^$$' -fuzz FuzzHostLine -fuzztime 30s

clean:
	rm -f ajar
