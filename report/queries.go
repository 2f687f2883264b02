package report

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// recipientsCTE is one row per audience member ($1 the campaign) with their events folded: the
// ledger row, and the first time of each kind of event. Human opens and clicks are those not
// flagged machine, or all of them when $2 (include machine) is true. Events without a contact
// (erased since) are left out. The summary and the CSV export both read it.
const recipientsCTE = `
WITH ev AS (
    SELECT contact_id,
           min(occurred_at) FILTER (WHERE type = 'sent') AS sent_at,
           min(occurred_at) FILTER (WHERE type = 'open' AND (NOT machine OR $2)) AS opened_at,
           count(*)         FILTER (WHERE type = 'open' AND (NOT machine OR $2)) AS opens,
           count(*)         FILTER (WHERE type = 'open' AND machine) AS machine_opens,
           min(occurred_at) FILTER (WHERE type = 'click' AND (NOT machine OR $2)) AS clicked_at,
           count(*)         FILTER (WHERE type = 'click' AND (NOT machine OR $2)) AS clicks,
           count(*)         FILTER (WHERE type = 'click' AND machine) AS machine_clicks,
           min(occurred_at) FILTER (WHERE type = 'unsubscribe') AS unsubscribed_at,
           bool_or(type = 'complaint') AS complained,
           bool_or(type = 'bounce') AS bounced
    FROM events
    WHERE campaign_id = $1 AND contact_id IS NOT NULL
      AND type IN ('sent', 'open', 'click', 'unsubscribe', 'complaint', 'bounce')
    GROUP BY contact_id
), recipients AS (
    SELECT l.contact_id, l.status, l.detail, ev.sent_at, ev.opened_at, ev.clicked_at, ev.unsubscribed_at,
           coalesce(ev.opens, 0) AS opens, coalesce(ev.machine_opens, 0) AS machine_opens,
           coalesce(ev.clicks, 0) AS clicks, coalesce(ev.machine_clicks, 0) AS machine_clicks,
           coalesce(ev.complained, false) AS complained,
           l.status = 'bounced' OR coalesce(ev.bounced, false) AS bounced
    FROM send_ledger l
    LEFT JOIN ev ON ev.contact_id = l.contact_id
    WHERE l.campaign_id = $1
)`

const summarySQL = recipientsCTE + `
SELECT count(*), count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status = 'dropped'),
       count(*) FILTER (WHERE bounced), count(*) FILTER (WHERE status = 'failed'),
       count(*) FILTER (WHERE status IN ('pending', 'sending')),
       count(*) FILTER (WHERE opened_at IS NOT NULL), coalesce(sum(opens), 0), coalesce(sum(machine_opens), 0),
       count(*) FILTER (WHERE clicked_at IS NOT NULL), coalesce(sum(clicks), 0), coalesce(sum(machine_clicks), 0),
       count(*) FILTER (WHERE unsubscribed_at IS NOT NULL), count(*) FILTER (WHERE complained)
FROM recipients`

func summary(ctx context.Context, db pg.DBTX, r *Report) error {
	return db.QueryRow(ctx, summarySQL, r.CampaignID, r.IncludeMachine).Scan(&r.Audience, &r.Sent, &r.Dropped,
		&r.Bounced, &r.Failed, &r.Pending, &r.UniqueOpens, &r.Opens, &r.MachineOpens, &r.UniqueClicks,
		&r.Clicks, &r.MachineClicks, &r.Unsubscribes, &r.Complaints)
}

// droppedBySQL groups dropped rows by the reason's first word: the worker writes
// "suppressed:SCOPE", the register "banned" or "no_consent".
const droppedBySQL = `
SELECT split_part(detail, ':', 1), count(*)
FROM send_ledger WHERE campaign_id = $1 AND status = 'dropped'
GROUP BY 1 ORDER BY 1`

func droppedBy(ctx context.Context, db pg.DBTX, r *Report) error {
	rows, err := db.Query(ctx, droppedBySQL, r.CampaignID)
	if err != nil {
		return err
	}
	r.DroppedBy = map[string]int64{}
	var reason string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&reason, &n}, func() error {
		r.DroppedBy[reason] = n
		return nil
	})
	return err
}

const linksSQL = `
SELECT l.id, l.url, l.honeypot,
       count(DISTINCT e.contact_id) FILTER (WHERE NOT e.machine OR $2),
       count(e.id) FILTER (WHERE NOT e.machine OR $2),
       count(e.id) FILTER (WHERE e.machine)
FROM campaign_links l
LEFT JOIN events e ON e.campaign_id = l.campaign_id AND e.type = 'click' AND e.link_id = l.id
WHERE l.campaign_id = $1
GROUP BY l.id, l.url, l.honeypot
ORDER BY l.id`

func links(ctx context.Context, db pg.DBTX, r *Report) error {
	rows, err := db.Query(ctx, linksSQL, r.CampaignID, r.IncludeMachine)
	if err != nil {
		return err
	}
	r.Links, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Link, error) {
		var l Link
		return l, row.Scan(&l.ID, &l.URL, &l.Honeypot, &l.UniqueClicks, &l.Clicks, &l.MachineClicks)
	})
	return err
}

const timelineSQL = `
SELECT date_trunc('hour', occurred_at, 'UTC'),
       count(*) FILTER (WHERE type = 'sent'),
       count(*) FILTER (WHERE type = 'open' AND (NOT machine OR $2)),
       count(*) FILTER (WHERE type = 'click' AND (NOT machine OR $2)),
       count(*) FILTER (WHERE type = 'unsubscribe'),
       count(*) FILTER (WHERE type = 'bounce')
FROM events
WHERE campaign_id = $1 AND type IN ('sent', 'open', 'click', 'unsubscribe', 'bounce')
GROUP BY 1
ORDER BY 1`

func timeline(ctx context.Context, db pg.DBTX, r *Report) error {
	rows, err := db.Query(ctx, timelineSQL, r.CampaignID, r.IncludeMachine)
	if err != nil {
		return err
	}
	r.Timeline, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Hour, error) {
		var h Hour
		err := row.Scan(&h.Hour, &h.Sent, &h.Opens, &h.Clicks, &h.Unsubscribes, &h.Bounces)
		h.Hour = h.Hour.UTC()
		return h, err
	})
	return err
}
