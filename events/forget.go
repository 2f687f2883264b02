package events

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Erased replaces an erased address wherever an event's text held it.
const Erased = "[erased]"

// AddressPattern is address as a PostgreSQL regular expression matching it literally (use it
// with the flags 'gi' to find it in any case): ASCII punctuation is escaped (a backslash before a
// non-alphanumeric character is a literal in PostgreSQL's advanced regular expressions);
// letters, digits and other characters stand as they are. Erasure uses it for other tables' text.
func AddressPattern(address string) string {
	var b strings.Builder
	for _, r := range address {
		if r < 0x80 && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ScrubAddress replaces address, in any case, with Erased in text: what the database's scrub
// does to stored events, for text about an erased person that is about to be stored (an SMTP
// reply or a bounce diagnostic that quotes the address). An empty address changes nothing.
func ScrubAddress(text, address string) string {
	if address == "" || text == "" {
		return text
	}
	return regexp.MustCompile("(?i)"+regexp.QuoteMeta(address)).ReplaceAllLiteralString(text, Erased)
}

// scrub is the SET list that removes $2 (an address pattern) from reason and data. The
// replacement holds no quote or backslash, so JSON text stays valid JSON; "address" keys
// (suppression events) go altogether.
const scrub = `
    reason = regexp_replace(reason, $2, '` + Erased + `', 'gi'),
    data   = CASE WHEN data IS NULL THEN NULL
                  ELSE regexp_replace(data::text, $2, '` + Erased + `', 'gi')::jsonb - 'address' END`

// forgetContactSQL anonymises one contact's events through the contact index. Campaign, brand,
// type, time, link and the machine verdict stay, so per-campaign counts of events stay right.
const forgetContactSQL = `
UPDATE events SET contact_id = NULL, ip = NULL, user_agent = NULL,` + scrub + `
WHERE contact_id = $1`

// forgetHashSQL scrubs the suppression events that name the address by its hash (whatever
// contact they name, if any) through the partial index on data ->> 'address_hash'.
const forgetHashSQL = `
UPDATE events SET` + scrub + `
WHERE data ? 'address_hash' AND data ->> 'address_hash' = $1`

// forgetSweepSQL finds the address anywhere else: events of other contacts or of none that carry
// the address in their reason or data (a bounce for an address no contact has, a reply quoting
// it); the contact's own ($3) are forgetContactSQL's. It reads the whole table: erasures are
// rare, and no index can promise to find free text.
const forgetSweepSQL = `
UPDATE events SET` + scrub + `
WHERE (strpos(lower(reason), $1) > 0 OR strpos(lower(data::text), $1) > 0)
  AND contact_id IS DISTINCT FROM $3`

// ForgetResult counts what Forget changed.
type ForgetResult struct {
	ContactEvents     int64 `json:"contact_events"`     // the contact's events, anonymised
	SuppressionEvents int64 `json:"suppression_events"` // events naming the address's hash, scrubbed
	OtherEvents       int64 `json:"other_events"`       // events found by the full sweep, scrubbed
}

// Forget anonymises what events hold about a person, for erasure, with tx (the erasure's
// transaction). Events of contactID (0: none) lose their contact, IP address and user agent;
// address (normalised, lower-case) is replaced with Erased in the reason and data of every event,
// found through the contact, through the address's suppression hash, and by a sweep of the whole
// table; the plain "address" of suppression events is removed. Events are never deleted here: a
// campaign's counts stay right (a person's events no longer tell whose they were, so unique
// counts lose that one person).
//
// Before it anonymises the contact's events, Forget waits for ingest rounds in flight and keeps
// new ones from looking contacts up until tx ends (see HoldErasures), so delete the contact in
// tx, after Forget and before the commit, and keep what follows short: ingestion waits for it.
// The sweep of the whole table runs before that, while ingestion goes on.
func Forget(ctx context.Context, tx pgx.Tx, contactID int64, address string, addressHash []byte) (ForgetResult, error) {
	var res ForgetResult
	pattern := AddressPattern(address)
	tag, err := tx.Exec(ctx, forgetHashSQL, hex.EncodeToString(addressHash), pattern)
	if err != nil {
		return res, fmt.Errorf("events: forget: %w", err)
	}
	res.SuppressionEvents = tag.RowsAffected()
	if tag, err = tx.Exec(ctx, forgetSweepSQL, strings.ToLower(address), pattern, contactID); err != nil {
		return res, fmt.Errorf("events: forget: %w", err)
	}
	res.OtherEvents = tag.RowsAffected()
	if contactID == 0 {
		return res, nil
	}
	if err := lockForErasure(ctx, tx); err != nil {
		return res, err
	}
	if tag, err = tx.Exec(ctx, forgetContactSQL, contactID, pattern); err != nil {
		return res, fmt.Errorf("events: forget: %w", err)
	}
	res.ContactEvents = tag.RowsAffected()
	return res, nil
}
