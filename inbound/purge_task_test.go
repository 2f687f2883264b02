package inbound_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/internal/pgtest"
)

func TestPurgerForgetsOldQuarantineAndSoftBounces(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, age := range []time.Duration{time.Hour, 40 * 24 * time.Hour} {
		_, err := db.Pool.Exec(ctx, `INSERT INTO soft_bounces (address_hash, message_key, bounced_at) VALUES ($1, $2, $3)`,
			make([]byte, 32), age.String(), now.Add(-age))
		require.NoError(t, err)
	}
	p := inbound.Purger{DB: db.Pool, QuarantineAge: 30 * 24 * time.Hour, SoftBounceWindow: 30 * 24 * time.Hour,
		Now: func() time.Time { return now }}
	require.NoError(t, p.ProcessTask(ctx, nil))
	var left int
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT count(*) FROM soft_bounces`).Scan(&left))
	assert.Equal(t, 1, left, "only the soft bounce inside the window stays")
}
