package campaign_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

func TestEngagementLeavesCompile(t *testing.T) {
	t.Parallel()
	const row = `SELECT 1 FROM contact_engagement ce WHERE ce.contact_id = c.id AND `
	tests := []struct {
		name, filter, wantSQL string
		wantArgs              []any
	}{
		{"clicked in the last 90 days", `{"field": "engagement.last_click_at", "op": "gt", "value": "-90d"}`,
			`EXISTS (` + row + `ce.last_click_at > (now() - $1::bigint * interval '1 second'))`, []any{int64(90 * 86400)}},
		{"never opened", `{"field": "engagement.last_open_at", "op": "exists", "value": false}`,
			`NOT EXISTS (` + row + `ce.last_open_at IS NOT NULL)`, nil},
		{"ever sent", `{"field": "engagement.last_sent_at", "op": "exists", "value": true}`,
			`EXISTS (` + row + `ce.last_sent_at IS NOT NULL)`, nil},
		{"relative weeks and hours", `{"field": "engagement.last_unsubscribe_at", "op": "lt", "value": "-2w"}`,
			`EXISTS (` + row + `ce.last_unsubscribe_at < (now() - $1::bigint * interval '1 second'))`, []any{int64(14 * 86400)}},
		{"count gt: a missing row (0) does not match", `{"field": "engagement.opens_90d", "op": "gt", "value": 2}`,
			`EXISTS (` + row + `ce.opens_90d > $1::numeric)`, []any{"2"}},
		{"count lt: a missing row (0) matches", `{"field": "engagement.clicks_30d", "op": "lt", "value": 1}`,
			`NOT EXISTS (` + row + `NOT (ce.clicks_30d < $1::numeric))`, []any{"1"}},
		{"count eq 0 matches a missing row", `{"field": "engagement.sends_90d", "op": "eq", "value": 0}`,
			`NOT EXISTS (` + row + `NOT (ce.sends_90d = $1::numeric))`, []any{"0"}},
		{"count neq 0", `{"field": "engagement.sends_30d", "op": "neq", "value": 0}`,
			`EXISTS (` + row + `ce.sends_30d <> $1::numeric)`, []any{"0"}},
		{"score", `{"field": "engagement.score", "op": "gt", "value": 2.5}`,
			`EXISTS (` + row + `engagement_score(ce.score, ce.score_at, now()) > $1::numeric)`, []any{"2.5"}},
		{"relative time on a contact column", `{"field": "created_at", "op": "gt", "value": "-30m"}`,
			`c.created_at > (now() - $1::bigint * interval '1 second')`, []any{int64(1800)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := &campaign.Args{}
			sql, err := mustFilter(t, tt.filter).Where(args)
			require.NoError(t, err)
			assert.Equal(t, tt.wantSQL, sql)
			assert.Equal(t, tt.wantArgs, args.Values())
		})
	}
}

func TestEngagementLeavesRefuse(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct{ filter, msg string }{
		"eq on a time":      {`{"field": "engagement.last_open_at", "op": "eq", "value": "-1d"}`, `unknown operator "eq"`},
		"future":            {`{"field": "engagement.last_open_at", "op": "gt", "value": "+1d"}`, `relative time like`},
		"unknown unit":      {`{"field": "engagement.last_open_at", "op": "gt", "value": "-1y"}`, `relative time like`},
		"beyond a century":  {`{"field": "engagement.last_open_at", "op": "gt", "value": "-999999w"}`, `more than a century`},
		"exists not bool":   {`{"field": "engagement.last_open_at", "op": "exists", "value": "yes"}`, `true or false`},
		"count of a string": {`{"field": "engagement.opens_90d", "op": "gt", "value": "2"}`, `must be a number`},
		"score eq":          {`{"field": "engagement.score", "op": "eq", "value": 1}`, `unknown operator "eq"`},
		"unknown field":     {`{"field": "engagement.opens_7d", "op": "gt", "value": 1}`, `unknown field`},
	} {
		_, err := campaign.ParseFilter([]byte(tt.filter))
		require.ErrorIs(t, err, campaign.ErrInvalidFilter, name)
		assert.ErrorContains(t, err, tt.msg, name)
	}
}

// engagementFixture gives contacts rollup rows as package engagement writes them: Aino clicked
// last week and opened three times in 90 days, with a fresh score of 4; Bertta opened 100 days
// ago and her score of 4 was stored 60 days ago (decayed to 1 now); Cecilia was sent to but never
// opened; Dan has no rollup row at all.
func engagementFixture(t *testing.T, b bundle) {
	t.Helper()
	at := now()
	day := 24 * time.Hour
	aino := addContact(t, b, contact{Email: "aino@x.fi"})
	bertta := addContact(t, b, contact{Email: "bertta@x.fi"})
	cecilia := addContact(t, b, contact{Email: "cecilia@x.fi"})
	addContact(t, b, contact{Email: "dan@x.fi", CreatedAt: at.Add(-400 * day)})
	_, err := b.pool.Exec(b.ctx, `
INSERT INTO contact_engagement (contact_id, last_sent_at, last_open_at, last_click_at, sends_90d, opens_30d, opens_90d,
                                clicks_30d, clicks_90d, windows_day, score, score_at)
VALUES ($1, $4, $4, $4, 2, 1, 3, 1, 1, current_date, 4, $5),
       ($2, $6, $6, NULL, 0, 0, 0, 0, 0, 'infinity', 4, $7),
       ($3, $4, NULL, NULL, 1, 0, 0, 0, 0, current_date, 0, $5)`,
		aino, bertta, cecilia, at.Add(-7*day), at, at.Add(-100*day), at.Add(-60*day))
	require.NoError(t, err)
}

func TestEngagementSegmentsSelectTheRightContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	engagementFixture(t, b)
	everyone := []string{"aino@x.fi", "bertta@x.fi", "cecilia@x.fi", "dan@x.fi"}
	for name, tt := range map[string]struct {
		filter string
		want   []string
	}{
		"clicked in the last 90 days": {`{"field": "engagement.last_click_at", "op": "gt", "value": "-90d"}`, []string{"aino@x.fi"}},
		"opened in the last 90 days":  {`{"field": "engagement.last_open_at", "op": "gt", "value": "-90d"}`, []string{"aino@x.fi"}},
		"last opened over 90 days ago": {`{"field": "engagement.last_open_at", "op": "lt", "value": "-90d"}`,
			[]string{"bertta@x.fi"}},
		"never opened":              {`{"field": "engagement.last_open_at", "op": "exists", "value": false}`, []string{"cecilia@x.fi", "dan@x.fi"}},
		"no opens in 90 days":       {`{"field": "engagement.opens_90d", "op": "eq", "value": 0}`, []string{"bertta@x.fi", "cecilia@x.fi", "dan@x.fi"}},
		"fewer than 3 opens":        {`{"field": "engagement.opens_90d", "op": "lt", "value": 3}`, []string{"bertta@x.fi", "cecilia@x.fi", "dan@x.fi"}},
		"at least one click":        {`{"field": "engagement.clicks_90d", "op": "gt", "value": 0}`, []string{"aino@x.fi"}},
		"engaged: score over 2":     {`{"field": "engagement.score", "op": "gt", "value": 2}`, []string{"aino@x.fi"}},
		"cold: score decayed below": {`{"field": "engagement.score", "op": "lt", "value": 1.5}`, []string{"bertta@x.fi", "cecilia@x.fi", "dan@x.fi"}},
		"sunset: sent, never opened": {`{"all": [{"field": "engagement.sends_90d", "op": "gt", "value": 0},
			{"field": "engagement.last_open_at", "op": "exists", "value": false}]}`, []string{"cecilia@x.fi"}},
		"created in the last year": {`{"field": "created_at", "op": "gt", "value": "-52w"}`, []string{"aino@x.fi", "bertta@x.fi", "cecilia@x.fi"}},
	} {
		t.Run(name, func(t *testing.T) {
			args := &campaign.Args{}
			where, err := mustFilter(t, tt.filter).Where(args)
			require.NoError(t, err)
			rows, err := b.pool.Query(b.ctx, `SELECT c.email FROM contacts c LEFT JOIN companies co ON co.id = c.company_id
				WHERE `+where+` ORDER BY c.email`, args.Values()...)
			require.NoError(t, err)
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			var negated int
			require.NoError(t, b.pool.QueryRow(b.ctx, `SELECT count(*) FROM contacts c LEFT JOIN companies co ON co.id = c.company_id
				WHERE NOT (`+where+`)`, args.Values()...).Scan(&negated))
			assert.Equal(t, len(everyone)-len(got), negated, "a leaf and its negation split everyone")
		})
	}

	pc, err := campaign.Preview(b.ctx, b.pool, mustFilter(t, `{"field": "engagement.last_click_at", "op": "gt", "value": "-90d"}`))
	require.NoError(t, err)
	assert.EqualValues(t, 1, pc.Matching, "the audience query runs engagement leaves")
}
