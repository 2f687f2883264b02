package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/token"
)

// Tester sends test messages of a campaign to staff addresses. They are rendered as the real
// thing, marked [TEST] in the subject, carry no tracking, and are not recorded in the campaign's
// ledger or events.
type Tester struct {
	db         *pgxpool.Pool
	cache      *campaignCache
	links      token.Links
	mailDomain string
}

// NewTester returns a Tester sending through relays.
func NewTester(db *pgxpool.Pool, relays map[string]*mailer.Pool, links token.Links, mailDomain string) *Tester {
	return &Tester{db: db, cache: newCampaignCache(db, relays), links: links, mailDomain: mailDomain}
}

// MaxTestRecipients bounds one test send.
const MaxTestRecipients = 20

// SendTest sends campaign campaignID to each address in to. An address that is a contact in the
// register gets that contact's merge fields; any other gets a sample contact's. It stops at the
// first failure and says which address failed.
func (t *Tester) SendTest(ctx context.Context, campaignID int64, to []string) error {
	if len(to) == 0 || len(to) > MaxTestRecipients {
		return fmt.Errorf("worker: test send: give 1 to %d addresses", MaxTestRecipients)
	}
	s, err := t.cache.get(ctx, campaignID)
	if err != nil {
		return fmt.Errorf("worker: test send: %w", err)
	}
	reg := register.New(t.db)
	for _, addr := range to {
		email, err := emailaddr.Normalize(addr)
		if err != nil {
			return fmt.Errorf("worker: test send: %w", err)
		}
		contact, company, err := testRecipient(ctx, reg, email)
		if err != nil {
			return fmt.Errorf("worker: test send to %s: %w", email, err)
		}
		urls := t.links.ForRecipient(campaignID, 0, time.Now(), register.TrackingOff)
		msg, _, err := compose(s, contact, company, urls, t.mailDomain, false, "[TEST] ")
		if err != nil {
			return fmt.Errorf("worker: test send to %s: %w", email, err)
		}
		if err := s.pool.Send(ctx, msg); err != nil {
			return fmt.Errorf("worker: test send to %s: %w", email, err)
		}
	}
	return nil
}

func testRecipient(ctx context.Context, reg *register.Store, email string) (*register.Contact, *register.Company, error) {
	c, err := reg.ContactByEmail(ctx, email)
	if errors.Is(err, register.ErrNotFound) {
		return &register.Contact{Email: email, FirstName: "Testi", LastName: "Vastaanottaja",
			JobTitle: "Purchasing Manager", Kind: register.B2B, Attributes: map[string]any{}}, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if c.CompanyID == 0 {
		return &c, nil, nil
	}
	co, err := reg.Company(ctx, c.CompanyID)
	if err != nil {
		return nil, nil, err
	}
	return &c, &co, nil
}
