# Kirje — see README.md. Every target that needs PostgreSQL and Redis starts them first
# (scripts/services.sh), reusing running ones and honouring KIRJE_DATABASE_URL / KIRJE_REDIS_URL.

SHELL := /bin/bash
GO ?= go
SERVICES := scripts/services.sh
# Loads KIRJE_DATABASE_URL / KIRJE_REDIS_URL for the local services unless already set.
WITH_ENV := eval "$$($(SERVICES) env)" &&

.PHONY: all build run demo test test-short bench lint fmt services services-down fuzz clean

all: build

build:
	$(GO) build -o bin/kirje ./cmd/kirje

## run: set everything up, seed a demo register and campaign, and run Kirje (Ctrl-C stops all).
run: build
	scripts/demo.sh

demo: run

## test: start services, then vet and run the whole suite with the race detector; as root, also
## the inbound end-to-end test through a real Postfix (scripts/postfix-e2e.sh).
test:
	$(SERVICES) up
	$(GO) vet ./...
	$(WITH_ENV) $(GO) test -race -count=1 -timeout 20m ./...
	@# Allocation guards again without the race detector, which changes what allocates.
	$(WITH_ENV) $(GO) test -count=1 -run 'Allocat' ./...
	@if [ "$$(id -u)" -eq 0 ]; then scripts/postfix-e2e.sh; \
	else echo "test: skipping the Postfix end-to-end test (it needs root)"; fi

test-short:
	$(SERVICES) up
	$(WITH_ENV) $(GO) test -count=1 -short ./...

## bench: performance scenarios with their same-run baselines (see BENCHMARKS.md).
bench: build
	$(SERVICES) up
	$(WITH_ENV) scripts/bench.sh

## lint: formatting and vet.
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

fuzz:
	$(SERVICES) up
	$(WITH_ENV) scripts/fuzz.sh

services:
	$(SERVICES) up --mailpit

services-down:
	$(SERVICES) down

clean:
	rm -rf bin
