#!/usr/bin/env bash
# bench.sh — `make bench`: Kirje's performance scenarios, each beside a baseline measured in the
# same run (see BENCHMARKS.md). Needs the services (make bench starts them) and wrk.
#
#   KIRJE_BENCH=send|tracking|memory|micro|data|all   which scenarios (default: all)
#   KIRJE_BENCH_RECIPIENTS=N                      audience of the send scenario (default 100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v wrk >/dev/null; then
	echo "bench: installing wrk (the HTTP load generator) from apt" >&2
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >/dev/null 2>&1 ||
		{ $sudo apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q wrk >/dev/null; }
fi

mkdir -p .dev
out=".dev/bench-$(date +%Y%m%d-%H%M%S).txt"
which=${KIRJE_BENCH:-all}
run() { echo "\$ $*" | tee -a "$out"; "$@" 2>&1 | grep -v '^smtp/server' | tee -a "$out"; }

{ echo "# $(date -u +%FT%TZ) $(go version) $(nproc) cores, $(uname -r)"; } >>"$out"
case "$which" in all | send) run go test -run '^$' -bench 'BenchmarkSendCampaign$' -benchtime 1x -timeout 30m ./internal/bench/ ;; esac
case "$which" in all | tracking) run go test -run '^$' -bench 'BenchmarkTracking$' -benchtime 1x -timeout 30m ./internal/bench/ ;; esac
case "$which" in all | memory) run go test -run '^$' -bench 'BenchmarkWorkerMemory$' -benchtime 1x -timeout 60m ./internal/bench/ ;; esac
case "$which" in all | micro)
	run go test -run '^$' -bench 'BenchmarkCheck' -benchtime 5s ./suppression/
	run go test -run '^$' -bench 'BenchmarkRender' -benchmem ./templates/
	run go test -run '^$' -bench 'BenchmarkSign|BenchmarkVerify' -benchmem ./token/
	;;
esac
case "$which" in all | data)
	run go test -run '^$' -bench 'BenchmarkFeed' -benchtime 3x ./feed/
	run go test -run '^$' -bench 'BenchmarkRollup' -benchtime 1x ./engagement/
	run go test -run '^$' -bench 'BenchmarkMaterialize' -benchtime 3x ./campaign/
	run go test -run '^$' -bench 'BenchmarkImport' -benchtime 3x ./register/
	;;
esac
echo "bench: results in $out" >&2
