#!/usr/bin/env bash
# postfix-e2e.sh — the inbound end-to-end test through a real Postfix (inbound/postfix_test.go).
#
# A campaign is sent by Kirje's worker with VERP return paths through a throwaway Postfix
# instance (its own config, queue and log under a temporary directory, smtpd on a loopback port,
# transport maps to loopback ports only, no DNS, no local delivery). The next hop refuses three
# recipients (5.1.1, 4.2.2, 5.7.1); Postfix writes real DSNs and relays them to Kirje's inbound
# listener; the test checks the missing mailbox is suppressed and the others are only recorded.
#
# Needs root: Postfix's master starts as root and drops to the postfix user. This script installs
# the Debian package when it is missing, starts PostgreSQL and Redis (scripts/services.sh) and
# runs the test with KIRJE_TEST_POSTFIX=1; without that variable the test skips. The system's own
# Postfix service is not started or touched.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "postfix-e2e: needs root (Postfix's master process must start as root)" >&2
	exit 1
fi
if ! command -v postfix >/dev/null; then
	echo "postfix-e2e: installing postfix from apt" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q postfix >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q postfix >/dev/null; }
fi
scripts/services.sh up
eval "$(scripts/services.sh env)"
KIRJE_TEST_POSTFIX=1 go test -race -count=1 -run 'Postfix' ./inbound/
