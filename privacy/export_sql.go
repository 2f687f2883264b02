package privacy

import (
	"context"
	"encoding/hex"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/suppression"
)

// suppressionsSQL reads the entries that name the address (its hash, whatever else they keep)
// and its domain's whole-domain entries, through the table's two unique indexes.
const suppressionsSQL = `
SELECT id, address_hash, coalesce(address, ''), coalesce(domain, ''), coalesce(brand_id, 0),
       reason, source, actor, created_at
FROM suppressions WHERE address_hash = $1 OR domain = $2
ORDER BY id`

func readSuppressions(ctx context.Context, tx pgx.Tx, sub subject) ([]suppression.Entry, error) {
	rows, err := tx.Query(ctx, suppressionsSQL, sub.hash, emailaddr.Domain(sub.address))
	if err != nil {
		return nil, err
	}
	return nonNil(pgx.CollectRows(rows, func(r pgx.CollectableRow) (suppression.Entry, error) {
		var e suppression.Entry
		err := r.Scan(&e.ID, &e.AddressHash, &e.Address, &e.Domain, &e.BrandID, &e.Reason, &e.Source,
			&e.Actor, &e.CreatedAt)
		return e, err
	}))
}

// sendsSQL finds the contact's ledger rows campaign by campaign: the ledger's primary key is
// (campaign_id, contact_id) and it has no index on contact_id alone (see migration 00003), so
// the join probes the key once per campaign instead of reading the whole ledger.
const sendsSQL = `
SELECT c.id, c.name, c.subject, b.id, b.name, l.status, l.attempts, coalesce(l.message_id, ''),
       l.detail, l.updated_at
FROM campaigns c
JOIN send_ledger l ON l.campaign_id = c.id AND l.contact_id = $1
JOIN brands b ON b.id = c.brand_id
ORDER BY c.id`

func readSends(ctx context.Context, tx pgx.Tx, contactID int64) ([]Send, error) {
	if contactID == 0 {
		return []Send{}, nil
	}
	rows, err := tx.Query(ctx, sendsSQL, contactID)
	if err != nil {
		return nil, err
	}
	return nonNil(pgx.CollectRows(rows, pgx.RowToStructByPos[Send]))
}

// eventsSQL reads the contact's events (contact index) and the suppression events that name the
// address's hash (the partial index of migration 00008), with campaign names and link targets.
const eventsSQL = `
SELECT e.id, e.type, e.occurred_at, e.recorded_at, coalesce(e.campaign_id, 0), coalesce(c.name, ''),
       coalesce(e.brand_id, 0), coalesce(l.url, ''), coalesce(e.ip, ''), coalesce(e.user_agent, ''),
       e.machine, e.signals, e.reason, e.data
FROM events e
LEFT JOIN campaigns c ON c.id = e.campaign_id
LEFT JOIN campaign_links l ON l.campaign_id = e.campaign_id AND l.id = e.link_id
WHERE (e.tx, e.id) IN (SELECT tx, id FROM events WHERE contact_id = $1
                       UNION
                       SELECT tx, id FROM events WHERE data ? 'address_hash' AND data ->> 'address_hash' = $2)
ORDER BY e.id`

func readEvents(ctx context.Context, tx pgx.Tx, contactID int64, sub subject) ([]Event, error) {
	rows, err := tx.Query(ctx, eventsSQL, contactID, hex.EncodeToString(sub.hash))
	if err != nil {
		return nil, err
	}
	return nonNil(pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		var e Event
		var data []byte
		err := r.Scan(&e.ID, &e.Type, &e.OccurredAt, &e.RecordedAt, &e.CampaignID, &e.CampaignName,
			&e.BrandID, &e.LinkURL, &e.IP, &e.UserAgent, &e.Machine, &e.Signals, &e.Reason, &data)
		if len(data) > 0 {
			e.Data = data
		}
		return e, err
	}))
}

// nonNil makes an empty result an empty list, so the document has [] rather than null.
func nonNil[T any](xs []T, err error) ([]T, error) {
	if xs == nil {
		xs = []T{}
	}
	return xs, err
}
