package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/webhook"
)

func TestPolicyChecksURLs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	strict, dev, private := webhook.Policy{}, webhook.Policy{AllowLoopbackHTTP: true}, webhook.Policy{AllowPrivate: true}
	tests := []struct {
		url            string
		strict, dev, p bool // accepted by each policy
	}{
		{"https://93.184.215.14/hooks/kirje", true, true, true},
		{"https://[2606:4700::1111]/x", true, true, true},
		{"http://93.184.215.14/hooks", false, false, false},
		{"http://127.0.0.1:8080/hooks", false, true, false},
		{"http://localhost:8080/hooks", false, true, false},
		{"https://127.0.0.1/hooks", false, true, true},
		{"https://10.1.2.3/hooks", false, false, true},
		{"https://192.168.1.1/", false, false, true},
		{"https://169.254.169.254/latest/meta-data", false, false, true},
		{"https://100.64.0.1/", false, false, true},
		{"https://[::1]/", false, true, true},
		{"https://[fd00::1]/", false, false, true},
		{"https://[::ffff:10.0.0.1]/", false, false, true},
		{"https://0.0.0.0/", false, false, true},
		{"https://224.0.0.1/", false, false, true},
		{"https://user:pw@93.184.215.14/", false, false, false},
		{"https://93.184.215.14/#frag", false, false, false},
		{"ftp://93.184.215.14/", false, false, false},
		{"/relative", false, false, false},
		{"https://", false, false, false},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			name   string
			policy webhook.Policy
			want   bool
		}{{"strict", strict, tt.strict}, {"dev", dev, tt.dev}, {"private", private, tt.p}} {
			_, err := c.policy.CheckURL(ctx, tt.url)
			if c.want {
				assert.NoError(t, err, "%s under %s", tt.url, c.name)
			} else {
				assert.ErrorIs(t, err, webhook.ErrInvalid, "%s under %s", tt.url, c.name)
			}
		}
	}
}

// The URL check alone is not enough (a name may resolve elsewhere later): every connection is
// checked when it is made. Here a subscription stored directly (bypassing Add) to a loopback
// endpoint is refused at connect time under the strict policy.
func TestConnectionsToBlockedAddressesAreRefused(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, 200)
	b := setup(t, webhook.Config{Timeout: 2 * time.Second})
	_, err := b.disp.Store().Add(b.ctx, webhook.Input{URL: rcv.URL})
	require.ErrorIs(t, err, webhook.ErrInvalid, "http to loopback is refused when added")

	var id int64
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `
INSERT INTO webhook_subscriptions (url, secret) VALUES ($1, $2) RETURNING id`, rcv.URL, make([]byte, 32)).Scan(&id))
	a, err := b.disp.Test(b.ctx, id)
	require.NoError(t, err)
	assert.False(t, a.OK())
	assert.Contains(t, a.Error, "not allowed")
	assert.Empty(t, rcv.requests(), "nothing reached the endpoint")
}
