package engagement

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// ErrNotFound is returned for a contact that does not exist.
var ErrNotFound = errors.New("engagement: contact not found")

// Engagement is one contact's rollup as of AsOf. Times are nil when it never happened (as far as
// the folded feed knows); opens and clicks are human ones.
type Engagement struct {
	ContactID         int64      `json:"contact_id"`
	LastSentAt        *time.Time `json:"last_sent_at"`
	LastOpenAt        *time.Time `json:"last_open_at"`
	LastClickAt       *time.Time `json:"last_click_at"`
	LastUnsubscribeAt *time.Time `json:"last_unsubscribe_at"`
	Sends30d          int64      `json:"sends_30d"`
	Sends90d          int64      `json:"sends_90d"`
	Opens30d          int64      `json:"opens_30d"`
	Opens90d          int64      `json:"opens_90d"`
	Clicks30d         int64      `json:"clicks_30d"`
	Clicks90d         int64      `json:"clicks_90d"`
	Score             float64    `json:"score"`
	AsOf              time.Time  `json:"as_of"`
}

// getSQL reads a contact's rollup with its window counts summed from the day buckets as of day
// $2 and its score decayed to $3, so the answer is exact whenever the last fold ran. A contact
// without a rollup row gets zeros; one that does not exist, no row.
const getSQL = `
SELECT ce.last_sent_at, ce.last_open_at, ce.last_click_at, ce.last_unsubscribe_at,
       coalesce(w.sends_30d, 0), coalesce(w.sends_90d, 0), coalesce(w.opens_30d, 0),
       coalesce(w.opens_90d, 0), coalesce(w.clicks_30d, 0), coalesce(w.clicks_90d, 0),
       coalesce(engagement_score(ce.score, ce.score_at, $3), 0)
FROM contacts c
LEFT JOIN contact_engagement ce ON ce.contact_id = c.id
LEFT JOIN LATERAL (
    SELECT sum(sends)  FILTER (WHERE day > $2::date - 30) AS sends_30d,  sum(sends)  AS sends_90d,
           sum(opens)  FILTER (WHERE day > $2::date - 30) AS opens_30d,  sum(opens)  AS opens_90d,
           sum(clicks) FILTER (WHERE day > $2::date - 30) AS clicks_30d, sum(clicks) AS clicks_90d
    FROM contact_engagement_days WHERE contact_id = c.id AND day > $2::date - 90
) w ON true
WHERE c.id = $1`

// Get returns a contact's engagement as of at, or ErrNotFound.
func Get(ctx context.Context, db pg.DBTX, contactID int64, at time.Time) (Engagement, error) {
	e := Engagement{ContactID: contactID, AsOf: at.UTC()}
	err := db.QueryRow(ctx, getSQL, contactID, utcDay(at), at).Scan(&e.LastSentAt, &e.LastOpenAt,
		&e.LastClickAt, &e.LastUnsubscribeAt, &e.Sends30d, &e.Sends90d, &e.Opens30d, &e.Opens90d,
		&e.Clicks30d, &e.Clicks90d, &e.Score)
	if errors.Is(err, pgx.ErrNoRows) {
		return Engagement{}, fmt.Errorf("engagement: contact %d: %w", contactID, ErrNotFound)
	}
	if err != nil {
		return Engagement{}, fmt.Errorf("engagement: contact %d: %w", contactID, err)
	}
	for _, t := range []**time.Time{&e.LastSentAt, &e.LastOpenAt, &e.LastClickAt, &e.LastUnsubscribeAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return e, nil
}
