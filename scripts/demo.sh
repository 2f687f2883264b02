#!/usr/bin/env bash
# demo.sh — `make run`: everything Kirje needs on this machine, a demo register and campaign, and
# Kirje itself. Ctrl-C stops Kirje and the services this script started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Ctrl-C stops PostgreSQL and Redis only if this run started both; a service that was already
# running (yours, or another make run's) stays, and so does its partner.
up_log=$(mktemp)
trap 'rm -f "$up_log"' EXIT # until cleanup's trap below takes over
{ scripts/services.sh up --mailpit 2>&1 1>&3 3>&- | tee "$up_log" >&2; } 3>&1
started_services=0
if grep -q 'starting PostgreSQL' "$up_log" && grep -q 'starting Redis' "$up_log"; then started_services=1; fi
rm -f "$up_log"
eval "$(scripts/services.sh env)"

http_port=${KIRJE_DEV_HTTP_PORT:-8080}
export KIRJE_PUBLIC_URL=${KIRJE_PUBLIC_URL:-http://127.0.0.1:$http_port}
export KIRJE_HTTP_ADDR=${KIRJE_HTTP_ADDR:-127.0.0.1:$http_port}
export KIRJE_SMTP_URL=${KIRJE_SMTP_URL:-smtp://127.0.0.1:${KIRJE_DEV_SMTP_PORT:-1025}?pool=4}
export KIRJE_MAIL_DOMAIN=${KIRJE_MAIL_DOMAIN:-bounce.kirje-demo.example}
export KIRJE_LOG_FORMAT=${KIRJE_LOG_FORMAT:-text}
# A development secret, kept in the ignored .dev directory; production sets its own.
if [ -z "${KIRJE_SECRET:-}" ]; then
	[ -s .dev/secret ] || head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >.dev/secret
	KIRJE_SECRET=$(cat .dev/secret)
	export KIRJE_SECRET
fi
kirje=bin/kirje

cleanup() {
	trap - INT TERM EXIT
	[ -n "${kirje_pid:-}" ] && kill -TERM "$kirje_pid" 2>/dev/null && wait "$kirje_pid" 2>/dev/null
	if [ "$started_services" = 1 ]; then scripts/services.sh down; else
		# Mailpit is the demo's own; PostgreSQL and Redis were already running and stay.
		[ -f .dev/mailpit.pid ] && kill "$(cat .dev/mailpit.pid)" 2>/dev/null && rm -f .dev/mailpit.pid
	fi
	echo "stopped."
}
trap cleanup INT TERM EXIT

$kirje migrate
if ! $kirje brands list --json | grep -q '"name": "Kirje Demo"'; then
	$kirje brands create --name "Kirje Demo" --from "Kirje Demo <news@kirje-demo.example>" \
		--address "Kirje Demo Oy, Hämeenkatu 1, 33100 Tampere, Finland" --reply-to "sales@kirje-demo.example"
fi
if $kirje users list --json | grep -q '"name": "demo-admin"'; then
	api_token=$($kirje users token demo-admin --label "make run" | tail -1)
else
	api_token=$($kirje users add demo-admin --role admin --token | sed -n 's/^API token (shown only now): //p')
fi
echo "== importing the demo register (two rows are bad on purpose, to show the report)"
$kirje contacts import scripts/demo/contacts.csv
filter='{"any":[{"field":"title","op":"contains","value":"purchas"},{"field":"title","op":"contains","value":"hankinta"},{"field":"title","op":"contains","value":"osto"},{"field":"title","op":"contains","value":"einkauf"},{"field":"title","op":"contains","value":"inköp"}]}'
echo "== the segment: purchasing roles"
$kirje segments preview --filter "$filter"
at=$(date -u -d '+5 seconds' +%Y-%m-%dT%H:%M:%SZ)
id=$($kirje campaigns create --brand "Kirje Demo" --name "Spring catalogue $(date +%F\ %T)" \
	--subject 'Kevään hinnasto – spring prices for {{ with .Company }}{{ .Name }}{{ else }}you{{ end }}' \
	--html scripts/demo/campaign.html --filter "$filter" --at "$at")
echo "== campaign $id scheduled at $at"

$kirje run &
kirje_pid=$!
cat <<MSG

  Kirje is running (campaign $id starts at $at).
    sent mail (Mailpit):   http://127.0.0.1:${KIRJE_DEV_MAILPIT_UI_PORT:-8025}
    tracking endpoint:     $KIRJE_PUBLIC_URL   (open, click and unsubscribe links in each message)
    health / metrics:      $KIRJE_PUBLIC_URL/readyz   $KIRJE_PUBLIC_URL/metrics
    REST API:              curl -H "Authorization: Bearer $api_token" $KIRJE_PUBLIC_URL/api/v1/campaigns/$id/report
    queue UI:              $KIRJE_PUBLIC_URL/admin/queues/   (any user name; the token above as password)
    campaign status:       bin/kirje campaigns show $id   (with this shell's KIRJE_* settings:
                           eval "\$(scripts/services.sh env)")
  Ctrl-C stops everything this started.

MSG
wait "$kirje_pid"
