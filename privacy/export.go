package privacy

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Document is everything Kirje holds about one address (GDPR Art. 15), as one JSON document.
// Lists are empty, never null; Contact and Company are null when there is none.
type Document struct {
	Address     string    `json:"address"`      // normalised
	AddressHash string    `json:"address_hash"` // hex SHA-256: how the suppression list and audit log name it
	GeneratedAt time.Time `json:"generated_at"`

	Contact         *register.Contact         `json:"contact"`
	Company         *register.Company         `json:"company"`
	Permissions     []register.Permission     `json:"marketing_permissions"` // bans and consents, oldest first
	TrackingChoices []register.TrackingChoice `json:"tracking_choices"`
	// Engagement is the contact's engagement rollup row as stored, or null.
	Engagement json.RawMessage `json:"engagement"`
	// Suppressions are the entries that name the address (by hash, with or without the plain
	// address) and the whole-domain entries of its domain.
	Suppressions []suppression.Entry `json:"suppressions"`
	Sends        []Send              `json:"sends"`  // the send ledger, by campaign
	Events       []Event             `json:"events"` // oldest first
}

// Send is one send-ledger row: a campaign's message to the contact and what became of it.
type Send struct {
	CampaignID   int64     `json:"campaign_id"`
	CampaignName string    `json:"campaign_name"`
	Subject      string    `json:"subject"`
	BrandID      int64     `json:"brand_id"`
	BrandName    string    `json:"brand_name"`
	Status       string    `json:"status"`
	Attempts     int       `json:"attempts"`
	MessageID    string    `json:"message_id,omitempty"`
	Detail       string    `json:"detail,omitempty"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Event is one event about the address, with the client's IP address and user agent as stored.
type Event struct {
	ID           int64           `json:"id"`
	Type         string          `json:"type"`
	OccurredAt   time.Time       `json:"occurred_at"`
	RecordedAt   time.Time       `json:"recorded_at"`
	CampaignID   int64           `json:"campaign_id,omitempty"`
	CampaignName string          `json:"campaign_name,omitempty"`
	BrandID      int64           `json:"brand_id,omitempty"`
	LinkURL      string          `json:"link_url,omitempty"`
	IP           string          `json:"ip,omitempty"`
	UserAgent    string          `json:"user_agent,omitempty"`
	Machine      bool            `json:"machine"`
	Signals      []string        `json:"signals,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
}

// Export returns the Document for address and writes its audit entry: by names who asked (Actor,
// and UserID, TokenID and IP for API calls); Action, Target and Detail are filled in. Everything
// is read from one snapshot, in the transaction that writes the audit entry, so no document
// leaves without its record. An address Kirje holds nothing about gives a document with empty
// sections. Errors: ErrInvalid for something that is not an address.
func (s *Service) Export(ctx context.Context, address string, by access.Entry) (Document, error) {
	sub, err := newSubject(address)
	if err != nil {
		return Document{}, fmt.Errorf("privacy: export: %w", err)
	}
	doc := Document{Address: sub.address, AddressHash: hex.EncodeToString(sub.hash), GeneratedAt: s.now()}
	err = s.snapshot(ctx, func(tx pgx.Tx) error {
		if err := readDocument(ctx, tx, sub, &doc); err != nil {
			return err
		}
		by.Action, by.Target = access.ActionSubjectExport, access.SubjectTarget(sub.hash)
		by.Detail = map[string]any{"sends": len(doc.Sends), "events": len(doc.Events),
			"suppressions": len(doc.Suppressions)}
		if doc.Contact != nil {
			by.Detail["contact_id"] = doc.Contact.ID
		}
		_, err := access.Audit(ctx, tx, by)
		return err
	})
	if err != nil {
		return Document{}, fmt.Errorf("privacy: export: %w", err)
	}
	doc.Permissions, _ = nonNil(doc.Permissions, nil)
	doc.TrackingChoices, _ = nonNil(doc.TrackingChoices, nil)
	return doc, nil
}

// snapshot runs fn in a repeatable-read transaction: every read sees the same moment.
func (s *Service) snapshot(ctx context.Context, fn func(tx pgx.Tx) error) (err error) {
	tx, err := s.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func readDocument(ctx context.Context, tx pgx.Tx, sub subject, doc *Document) error {
	reg := register.New(tx)
	var contactID int64
	c, err := reg.ContactByEmail(ctx, sub.address)
	switch {
	case errors.Is(err, register.ErrNotFound):
	case err != nil:
		return err
	default:
		doc.Contact, contactID = &c, c.ID
		if err := readContactData(ctx, reg, tx, doc); err != nil {
			return err
		}
	}
	if doc.Suppressions, err = readSuppressions(ctx, tx, sub); err != nil {
		return err
	}
	if doc.Sends, err = readSends(ctx, tx, contactID); err != nil {
		return err
	}
	doc.Events, err = readEvents(ctx, tx, contactID, sub)
	return err
}

func readContactData(ctx context.Context, reg *register.Store, tx pgx.Tx, doc *Document) error {
	c := doc.Contact
	if c.CompanyID != 0 {
		co, err := reg.Company(ctx, c.CompanyID)
		if err != nil && !errors.Is(err, register.ErrNotFound) {
			return err
		}
		if err == nil {
			doc.Company = &co
		}
	}
	var err error
	if doc.Permissions, err = reg.Permissions(ctx, c.ID); err != nil {
		return err
	}
	if doc.TrackingChoices, err = reg.TrackingChoices(ctx, c.ID); err != nil {
		return err
	}
	err = tx.QueryRow(ctx, `SELECT to_jsonb(e) FROM contact_engagement e WHERE contact_id = $1`, c.ID).Scan(&doc.Engagement)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}
