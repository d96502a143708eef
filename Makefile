# Assay: `make run` starts a dev server under ./var; `make test` runs every test.
GO          ?= go
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
VERSITYGW   := $(GOBIN)/versitygw
TESSERA     := $(GOBIN)/posix
LITEWITNESS := $(GOBIN)/litewitness
# litewitness takes its key from an ssh-agent (Debian's openssh-client).
SSHAGENT    ?= $(shell command -v ssh-agent || echo /usr/bin/ssh-agent)
WITNESSCTL  := $(GOBIN)/witnessctl
REGISTRY    := $(GOBIN)/registry
ORAS        := $(GOBIN)/oras
# Chromium drives the console's browser test (TestConsole); Debian's package
# is installed when missing.
CHROMIUM    ?= $(shell command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)
DATA        ?= ./var
ADDR        ?= 127.0.0.1:8080

.PHONY: run test unit lint bench soak fuzz scale

## run: start the server on the embedded default (Badger + disk under ./var);
## creates dev keys and a dev token on first start and prints them.
run:
	$(GO) run ./cmd/assay serve --data $(DATA) --addr $(ADDR) --dev

## test: lint, then every test (unit, integration, crash, fuzz seed corpora).
test: lint unit

# versitygw is the real S3-compatible server the S3 backend tests run against;
# Chromium is the browser the console test drives (required here, so that a
# missing browser fails instead of skipping).
unit: $(VERSITYGW) $(CHROMIUM) $(LITEWITNESS) $(WITNESSCTL) $(SSHAGENT) $(REGISTRY) $(ORAS)
	ASSAY_REQUIRE_BROWSER=1 ASSAY_CHROMIUM=$(CHROMIUM) ASSAY_REQUIRE_WITNESS=1 ASSAY_REQUIRE_REGISTRY=1 ASSAY_REQUIRE_S3=1 $(GO) test -count=1 -timeout 14m ./...

# The distribution registry and the oras CLI are what the OCI publishing
# tests push to and read with.
$(REGISTRY):
	$(GO) install github.com/distribution/distribution/v3/cmd/registry@v3.1.2

$(ORAS):
	$(GO) install oras.land/oras/cmd/oras@v1.3.6

# litewitness is the real C2SP tlog-witness the witness tests run against.
$(LITEWITNESS):
	$(GO) install filippo.io/torchwood/cmd/litewitness@v0.6.1

$(WITNESSCTL):
	$(GO) install filippo.io/torchwood/cmd/witnessctl@v0.6.1

$(SSHAGENT):
	@if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends openssh-client

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium

$(TESSERA):
	$(GO) install github.com/transparency-dev/tessera/cmd/conformance/posix@v1.0.4

$(VERSITYGW):
	$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

## lint: gofmt, go vet and staticcheck must all be clean.
lint: $(STATICCHECK)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change: $$out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

## bench: throughput figures with same-run baselines (see tools/bench).
# Tessera's POSIX conformance server is the baseline the export figures are
# compared with.
bench: $(TESSERA) $(VERSITYGW)
	$(GO) run ./tools/bench
	$(GO) test -run '^$$' -bench BenchmarkLocalPut -benchtime 3x ./cas/local/
	$(GO) test -run '^$$' -bench BenchmarkVerifyImport -benchtime 3x ./ledger/bundle/
	$(GO) test -run '^$$' -bench BenchmarkPublishLag -benchtime 5x ./publish/
	$(GO) test -run '^$$' -bench BenchmarkMirrorCatchUp -benchtime 5x ./cmd/assay/
	$(GO) test -run '^$$' -bench BenchmarkIntake -benchtime 5x ./intake/
	$(GO) test -run '^$$' -bench BenchmarkAppendsWithSlowWitness -benchtime 3x ./witness/
	$(GO) test -run '^$$' -bench BenchmarkPolicyAudit -benchtime 3x ./cmd/assay/

## scale: a 10,000,000-entry log built through the ledger's Go API under
## the default memory budget: per million entries the append rate, RSS, Go
## heap and disk use, then proof and tile read rates and the reopen time
## (tools/scale; SCALE_FLAGS passes more, such as -entries 2000000).
scale:
	$(GO) run ./tools/scale $(SCALE_FLAGS)

## soak: the long crash loops (50 SIGKILL cycles each), the retention property
## test at 5000 steps a run, the promotion crash test at 10,000 objects, and
## longer fuzzing.
soak:
	ASSAY_CRASH_CYCLES=50 $(GO) test -count=1 -timeout 60m -run 'TestCrashRecovery' -v ./ledger
	ASSAY_DELETION_CRASH_CYCLES=50 $(GO) test -count=1 -timeout 30m -run 'TestDeletionCrashLoop' -v ./ledger/retention
	ASSAY_RETENTION_STEPS=5000 $(GO) test -count=1 -timeout 30m -run 'TestRetentionProperty' -v ./ledger/retention
	ASSAY_PROMOTION_CRASH_OBJECTS=10000 $(GO) test -count=1 -timeout 30m -run 'TestPromotionCrash' -v ./cmd/assay

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; done
