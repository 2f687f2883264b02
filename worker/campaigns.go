package worker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/templates"
)

// sendable is what a batch needs to send a campaign: the campaign as stored now, its brand, the
// compiled template, the DKIM signer and the relay's pool.
type sendable struct {
	campaign campaign.Campaign
	brand    register.Brand
	tpl      *templates.Compiled
	signer   *mailer.DKIMSigner
	pool     *mailer.Pool
	// data is what merge fields see, minus the recipient.
	campaignData templates.Data
}

// campaignCache keeps compiled templates and DKIM signers between batches. Each batch still reads
// the campaign and brand rows (two primary-key lookups), so a pause, a cancel or an edit takes
// effect at the next batch; the expensive parts are rebuilt only when updated_at moved.
type campaignCache struct {
	db     pg.DBTX
	relays map[string]*mailer.Pool

	mu      sync.Mutex
	entries map[int64]*sendable
}

func newCampaignCache(db pg.DBTX, relays map[string]*mailer.Pool) *campaignCache {
	return &campaignCache{db: db, relays: relays, entries: map[int64]*sendable{}}
}

func (cc *campaignCache) get(ctx context.Context, id int64) (*sendable, error) {
	c, err := campaign.New(cc.db).Get(ctx, id)
	if err != nil {
		return nil, err
	}
	b, err := register.New(cc.db).Brand(ctx, c.BrandID)
	if err != nil {
		return nil, fmt.Errorf("brand %d: %w", c.BrandID, err)
	}
	cc.mu.Lock()
	cached := cc.entries[id]
	cc.mu.Unlock()
	if cached != nil && cached.campaign.UpdatedAt.Equal(c.UpdatedAt) && cached.brand.UpdatedAt.Equal(b.UpdatedAt) {
		s := *cached
		s.campaign = c // status fresh; content unchanged
		return &s, nil
	}
	s, err := cc.build(c, b)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	cc.entries[id] = s
	cc.mu.Unlock()
	return s, nil
}

func (cc *campaignCache) build(c campaign.Campaign, b register.Brand) (*sendable, error) {
	pool, ok := cc.relays[b.Relay]
	if !ok {
		return nil, fmt.Errorf("brand %q uses relay %q, which is not configured", b.Name, b.Relay)
	}
	tpl, err := templates.Compile(c.Source())
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", c.ID, err)
	}
	s := &sendable{campaign: c, brand: b, tpl: tpl, pool: pool}
	if b.HasDKIM() {
		if s.signer, err = mailer.NewDKIMSigner(b.DKIMDomain, b.DKIMSelector, b.DKIMKeyPEM); err != nil {
			return nil, fmt.Errorf("brand %q: %w", b.Name, err)
		}
	}
	// The same types campaign.SampleData validated the template with. The brand goes without its
	// DKIM key: a merge field must never be able to print it.
	view := b
	view.DKIMKeyPEM = ""
	s.campaignData = templates.Data{Brand: view, Campaign: c}
	return s, nil
}

// forget drops cached state, e.g. of a finished campaign.
func (cc *campaignCache) forget(id int64) {
	cc.mu.Lock()
	delete(cc.entries, id)
	cc.mu.Unlock()
}

// level is the tracking level for a contact: their own choice, else the brand's.
func level(b register.Brand, c *register.Contact) string {
	if c != nil && c.Tracking != "" {
		return c.Tracking
	}
	if b.Tracking == "" {
		return register.TrackingIndividual
	}
	return b.Tracking
}

// backoff is how long a recipient waits after its attempt-th temporary failure: 1, 2, 4 … minutes,
// capped at an hour.
func backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := time.Minute << min(attempt-1, 6)
	return min(d, time.Hour)
}
