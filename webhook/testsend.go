package webhook

import (
	"context"
	"time"
)

// Test sends one signed test message to a subscription's endpoint, whatever its status, and
// returns the outcome (ErrNotFound for an unknown subscription). The body is
//
//	{"type": "kirje.test", "timestamp": "…", "data": []}
//
// under a fresh webhook-id; nothing is stored.
func (d *Dispatcher) Test(ctx context.Context, id int64) (Attempt, error) {
	url, key, err := d.store.endpoint(ctx, id)
	if err != nil {
		return Attempt{}, err
	}
	now := d.cfg.Now()
	body := make([]byte, 0, 96)
	body = append(body, `{"type":"kirje.test","timestamp":"`...)
	body = now.UTC().AppendFormat(body, time.RFC3339)
	body = append(body, `","data":[]}`...)
	return d.send.post(ctx, url, key, newMessageID("test_"), now, body), nil
}
