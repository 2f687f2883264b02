#!/usr/bin/env bash
# services.sh — start (or reuse) the local services Kirje needs, in a project-local directory.
#
#   scripts/services.sh up [--mailpit]   install what is missing, start PostgreSQL, Redis (and Mailpit)
#   scripts/services.sh down             stop what this script started
#   scripts/services.sh env              print the environment the services are reachable with
#
# KIRJE_DATABASE_URL / KIRJE_REDIS_URL given in the environment are used as they are: the matching
# service is then neither installed nor started. Ports can be moved with KIRJE_DEV_PG_PORT,
# KIRJE_DEV_REDIS_PORT, KIRJE_DEV_SMTP_PORT and KIRJE_DEV_MAILPIT_UI_PORT.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dev="$root/.dev"
# The default ports lie below Linux's ephemeral range (32768–60999), from which outgoing
# connections take their local ports: a port in that range can be held by one of them at the
# moment a server binds it.
pg_port=${KIRJE_DEV_PG_PORT:-25432}
redis_port=${KIRJE_DEV_REDIS_PORT:-25379}
smtp_port=${KIRJE_DEV_SMTP_PORT:-1025}
ui_port=${KIRJE_DEV_MAILPIT_UI_PORT:-8025}
pg_url="postgres://kirje@127.0.0.1:${pg_port}/kirje?sslmode=disable"
redis_url="redis://127.0.0.1:${redis_port}/0"

# port_open reports whether something listens on a loopback port (bash's /dev/tcp: no curl needed).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

log() { printf '\033[1mservices:\033[0m %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		log "need root for: $*"; return 1
	fi
}

apt_install() {
	log "installing $* from apt"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get install -y -q "$@" >/dev/null 2>&1 ||
		{ as_root apt-get update -q >/dev/null && as_root apt-get install -y -q "$@" >/dev/null; }
}

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

# run_pg runs a PostgreSQL server binary as the user that owns the cluster: initdb and postgres
# refuse to run as root, so root hands them to the postgres system user.
run_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
	if [ -n "${KIRJE_DATABASE_URL:-}" ]; then log "using KIRJE_DATABASE_URL"; return; fi
	local bin data="$dev/pg"
	bin=$(pg_bindir) || { apt_install postgresql; bin=$(pg_bindir); }
	if "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port"; then log "PostgreSQL already up on :$pg_port"; return; fi
	mkdir -p "$dev"
	if [ ! -s "$data/PG_VERSION" ]; then
		log "initialising a PostgreSQL cluster in $data"
		mkdir -p "$data"
		[ "$(id -u)" -eq 0 ] && chown postgres: "$data"
		run_pg "$bin/initdb" -D "$data" -U kirje --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	fi
	[ "$(id -u)" -eq 0 ] && chown -R postgres: "$data"
	local pid port
	if run_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
		# postmaster.pid: the PID on line 1, the port on line 4.
		pid=$(sed -n 1p "$data/postmaster.pid") port=$(sed -n 4p "$data/postmaster.pid")
		if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = postgres ] && [ "$port" != "$pg_port" ]; then
			# Ours, started on another port (KIRJE_DEV_PG_PORT changed, or an older default).
			log "the cluster in $data runs on :$port; restarting it on :$pg_port"
			run_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
		elif [ "$port" = "$pg_port" ]; then
			# Ours on this port, still starting or recovering: wait for it rather than start another.
			log "PostgreSQL of $data is starting on :$pg_port; waiting"
			for _ in $(seq 600); do "$bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && return; sleep 0.1; done
			log "PostgreSQL on :$pg_port did not become ready"; return 1
		fi
	fi
	log "starting PostgreSQL on :$pg_port"
	run_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
		-o "-p $pg_port -k $data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${KIRJE_DEV_PG_FSYNC:-on} -c shared_buffers=256MB" \
		start >/dev/null
	echo started >"$dev/pg.started"
	"$bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U kirje -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = 'kirje'" | grep -q 1 ||
		"$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U kirje kirje
}

# wait_redis waits (up to 30 s) for PONG: while it loads its append-only file, Redis answers
# LOADING, and redis-cli exits 0 all the same.
wait_redis() {
	for _ in $(seq 300); do [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && return; sleep 0.1; done
}

start_redis() {
	if [ -n "${KIRJE_REDIS_URL:-}" ]; then log "using KIRJE_REDIS_URL"; return; fi
	command -v redis-server >/dev/null || apt_install redis-server
	if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then log "Redis already up on :$redis_port"; wait_redis; return; fi
	# A Redis of ours still running on another port (KIRJE_DEV_REDIS_PORT changed, or an older
	# default) must stop first: two servers must not share the append-only file. Ours is the
	# redis-server of the pidfile working in $dev/redis (Redis changes to its --dir).
	local pid
	pid=$(cat "$dev/redis/redis.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = redis-server ] &&
		[ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$dev/redis" ]; then
		log "the Redis of $dev/redis (pid $pid) runs on another port; moving it to :$redis_port"
		kill -TERM "$pid" # Redis shuts down cleanly on SIGTERM, flushing its append-only file
		for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then log "Redis (pid $pid) did not stop; stop it, then try again"; return 1; fi
	fi
	mkdir -p "$dev/redis"
	log "starting Redis on :$redis_port"
	# appendonly keeps queued tasks across a Redis restart, as production should.
	redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --dir "$dev/redis" \
		--pidfile "$dev/redis/redis.pid" --logfile "$dev/redis/redis.log" \
		--appendonly yes --appendfsync everysec --save "" >/dev/null
	wait_redis
	echo "$redis_port" >"$dev/redis.started" # down stops this port, whatever its environment says
}

start_mailpit() {
	local bin="$dev/bin/mailpit"
	if [ ! -x "$bin" ]; then
		log "building Mailpit (go install github.com/axllent/mailpit@v1.33.1)"
		GOBIN="$dev/bin" go install github.com/axllent/mailpit@v1.33.1
	fi
	if port_open "$ui_port" && port_open "$smtp_port"; then log "Mailpit already up"; return; fi
	log "starting Mailpit (SMTP :$smtp_port, web UI :$ui_port)"
	"$bin" --smtp "127.0.0.1:$smtp_port" --listen "127.0.0.1:$ui_port" --smtp-auth-accept-any \
		--smtp-auth-allow-insecure --max 5000 >"$dev/mailpit.log" 2>&1 &
	echo $! >"$dev/mailpit.pid"
	for _ in $(seq 100); do port_open "$smtp_port" && port_open "$ui_port" && break; sleep 0.1; done
}

stop_all() {
	local bin
	if [ -f "$dev/mailpit.pid" ]; then kill "$(cat "$dev/mailpit.pid")" 2>/dev/null || true; rm -f "$dev/mailpit.pid"; fi
	if [ -f "$dev/redis.started" ]; then
		local port
		port=$(cat "$dev/redis.started")
		case "$port" in '' | *[!0-9]*) port=$redis_port ;; esac # written by an older version
		redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -f "$dev/redis.started"
	fi
	if [ -f "$dev/pg.started" ] && bin=$(pg_bindir); then
		run_pg "$bin/pg_ctl" -D "$dev/pg" -m fast stop >/dev/null 2>&1 || true; rm -f "$dev/pg.started"
	fi
}

print_env() {
	echo "export KIRJE_DATABASE_URL='${KIRJE_DATABASE_URL:-$pg_url}'"
	echo "export KIRJE_REDIS_URL='${KIRJE_REDIS_URL:-$redis_url}'"
}

case "${1:-up}" in
up)
	start_postgres
	start_redis
	if [ "${2:-}" = "--mailpit" ]; then start_mailpit; fi
	;;
down) stop_all ;;
env) print_env ;;
*) echo "usage: $0 up [--mailpit] | down | env" >&2; exit 2 ;;
esac
