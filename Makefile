# DivinePic face pipeline. `make run` and `make test` do everything on a fresh
# machine that has Go, gcc and Node.js/npm; see README.md.

SHELL := /bin/bash
# jsii (the CDK's bridge to Node.js) prints a banner on Node.js 20; the
# synthesis works the same.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
GO ?= go
BIN := bin
ALBUM ?= $(abspath ../shared/testdata)
SELFIE ?= $(abspath ../shared/testdata/faces/Rob_Lowe_0002.jpg)
PACK ?= default

# Debian packages: the C libraries the cgo image decoders link against, the
# AWS CLI that the access test drives against `divinepic serve`, and the
# headless browser (with a font) that the web app's and the console's browser
# tests drive.
DEB_PACKAGES := libturbojpeg0-dev libheif1 awscli chromium fonts-dejavu-core
# What `make bench` adds: libjpeg-turbo's own benchmark, tjbench, which
# BenchmarkDecodeCamera runs on the same file as the limit.
BENCH_DEB_PACKAGES := libjpeg-turbo-progs
# Lambdas that run ONNX Runtime (cgo, linux/amd64, container image), as
# shared/names says; the rest are pure Go (CGO_ENABLED=0, linux/arm64,
# provided.al2023 zip).
ONNX_LAMBDAS = $(shell $(GO) run ./cmd/setup onnx-steps)
LAMBDAS := $(sort $(notdir $(patsubst %/main.go,%,$(wildcard lambdas/*/main.go))))

# The linters `make test` (and so CI) runs: staticcheck at a pinned version
# (fetched through the Go module proxy on first use), and a gofmt check over
# every Go file of the repository.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO_FILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -not -path './cdk.out/*' -not -path '*/node_modules/*')

.PHONY: setup system-packages bench-packages models build cli lambdas image package test test-long fuzz run synth bench lint fmt-check ci clean help screenshots

help:
	@echo "make setup    install C libraries (apt), ONNX Runtime (npm) and the default model pack into the cache"
	@echo "make run      process a demo album (ALBUM=dir, default ../shared/testdata) and search it (SELFIE=photo)"
	@echo "make test     everything CI runs (make ci): setup, gofmt check, go vet, staticcheck, go test ./..., every fuzz target for 3s (make fuzz FUZZTIME=d)"
	@echo "make build    the CLI (bin/divinepic), one bootstrap per Lambda (bin/lambdas/<step>/bootstrap), bin/image/"
	@echo "make package  every Lambda's deployment zip in bin/package (sizes and glibc checked)"
	@echo "make bench    the benchmarks; make lint: go vet + staticcheck; make synth: the CDK template (needs make package)"

setup: system-packages
	$(GO) run ./cmd/setup

# Installs the Debian packages that are missing, and says so when none is.
define install-debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "system packages: already installed ($(1))"; \
	else \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  echo "system packages: installing$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-packages:
	$(call install-debs,$(DEB_PACKAGES))

# What the benchmarks need besides: tjbench (the decode's limit).
bench-packages:
	$(call install-debs,$(BENCH_DEB_PACKAGES))

models:
	$(GO) run ./cmd/setup models --pack $(PACK)

build: cli lambdas image

# What lambdas/Dockerfile copies besides the bootstraps.
image:
	$(GO) run ./cmd/setup image --pack $(PACK) $(BIN)/image

cli: system-packages
	$(GO) build -o $(BIN)/divinepic ./cmd/divinepic

lambdas: system-packages $(LAMBDAS:%=$(BIN)/lambdas/%/bootstrap)

$(BIN)/lambdas/%/bootstrap: FORCE
	@mkdir -p $(dir $@)
	@if echo " $(ONNX_LAMBDAS) " | grep -q " $* "; then \
	  echo "lambda $*: cgo linux/amd64 (ONNX Runtime)"; \
	  CGO_ENABLED=1 GOOS=linux GOARCH=amd64 $(GO) build -tags lambda.norpc -trimpath -ldflags=-s -o $@ ./lambdas/$* || exit 1; \
	else \
	  echo "lambda $*: pure Go linux/arm64"; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags=-s -o $@ ./lambdas/$* || exit 1; \
	fi

# Every function's zip in bin/package (shared/artifact): each ELF file
# checked against Amazon Linux 2023 (glibc <= 2.34, its libraries), each zip
# against Lambda's 250 MB unzipped; a pack too large for a zip stages the
# container image's inputs instead (PACK=p chooses the ONNX Lambdas' pack).
package: setup lambdas
	$(GO) run ./cmd/setup package --pack $(PACK)

FORCE:

test: setup fmt-check lint
	@# The pure-Go Lambdas must build without cgo (linux/arm64).
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) vet $(addprefix ./lambdas/,$(filter-out $(ONNX_LAMBDAS),$(LAMBDAS)))
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory fuzz

# Long soak and load runs, kept out of `make test`; every fuzz target for a
# minute.
test-long: setup
	DIVINEPIC_LONG=1 $(GO) test -count=1 -timeout 60m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=60s

# Every fuzz target of the repository (each `func FuzzX` of a _test.go file)
# for FUZZTIME; a failing input lands in the package's testdata/fuzz/ and
# fails the run. Minimizing an interesting input is capped, or a slow input
# stalls a short run.
FUZZTIME ?= 3s
fuzz:
	@grep -rHo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' shared cmd | sort | while IFS=: read -r file fn; do \
	  fn=$${fn#func }; pkg=./$$(dirname $$file); \
	  out=$$($(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg 2>&1) || { echo "$$out"; exit 1; }; \
	  n=$$(echo "$$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2); \
	  echo "fuzz $$pkg $$fn: $${n:-0} executions beyond the seed corpus in $(FUZZTIME), no failure"; \
	done

run: setup cli
	$(BIN)/divinepic run $(ALBUM) --album demo --pack $(PACK)
	$(BIN)/divinepic search --album demo --pack $(PACK) $(SELFIE)

synth:
	$(GO) run ./cdk

# The README's screenshots, taken by the web app's browser test.
screenshots: setup
	DIVINEPIC_SCREENSHOTS=$(abspath docs/screenshots) $(GO) test -count=1 -run TestBrowser ./shared/webapp

bench: setup bench-packages
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint: system-packages
	$(GO) vet ./...
	$(STATICCHECK) ./...

# Fails, listing them, when gofmt would change any file.
fmt-check:
	@out=$$(gofmt -l $(GO_FILES)); \
	if [ -n "$$out" ]; then echo "gofmt would change these files (run gofmt -w on them):"; echo "$$out"; exit 1; fi; \
	echo "gofmt: every Go file is formatted"

# What .ci/run runs (through `make test`, the README's test command).
ci: test

clean:
	rm -rf $(BIN) cdk.out
