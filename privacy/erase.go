package privacy

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Erasure is what Erase did, for the caller and the audit entry. It holds no address.
type Erasure struct {
	AddressHash string `json:"address_hash"`
	// ContactID is the erased contact's ID (0 when the register had none). The number is kept by
	// the send ledger's rows, which identify nobody once the contact is gone and keep the
	// campaigns' counts.
	ContactID int64 `json:"contact_id,omitempty"`
	// SuppressionID is the entry that keeps the address from being mailed again: the new
	// hash-only erasure entry, or an all-marketing entry that already named the address.
	SuppressionID int64 `json:"suppression_id"`
	// PlainEntries is how many suppression entries had a plain copy of the address removed (the
	// address column, or a source or actor quoting it).
	PlainEntries int64               `json:"plain_entries"`
	Events       events.ForgetResult `json:"events"`
	Others       OthersResult        `json:"others"`
}

// Erase erases address (GDPR Art. 17), in one transaction that also writes the audit entry (by
// names who asked; Action, Target and Detail are filled in, with the address only as its hash):
//
//   - the contact is deleted, and with it its bans and consents, tracking choices and engagement
//     rollups (companies stay: they are not personal data);
//   - its events are anonymised, not deleted (events.Forget), so campaign counts stay right;
//     opens and clicks of its old messages that arrive later are stored anonymised too;
//   - suppression entries keep only the address's hash, and an all-marketing entry with reason
//     erasure is added unless one already suppresses the address everywhere: a later import of
//     the same address is suppressed at send time;
//   - other copies of the address go too, each through the package that owns them: ledger
//     details (campaign.ScrubLedger), webhook bodies with the contact's customer number and lead
//     ID (webhook.ScrubBodies), quarantined inbound mail (inbound.ForgetQuarantined).
//
// An address Kirje holds nothing about still gets its suppression entry: the person asked not to
// be processed. Repeating an erasure is harmless. The suppression mirror learns the entry before
// the commit (see suppression.List.Add). Errors: ErrInvalid for something that is not an address;
// suppression.ErrUnavailable when the mirror cannot be written (nothing is erased then).
func (s *Service) Erase(ctx context.Context, address string, by access.Entry) (Erasure, error) {
	sub, err := newSubject(address)
	if err != nil {
		return Erasure{}, fmt.Errorf("privacy: erase: %w", err)
	}
	res := Erasure{AddressHash: hex.EncodeToString(sub.hash)}
	err = pg.InTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := s.erase(ctx, tx, sub, by.Actor, &res); err != nil {
			return err
		}
		by.Action, by.Target = access.ActionSubjectErase, access.SubjectTarget(sub.hash)
		by.Detail = map[string]any{"contact_id": res.ContactID, "suppression_id": res.SuppressionID,
			"plain_entries": res.PlainEntries, "events": res.Events, "others": res.Others}
		_, err := access.Audit(ctx, tx, by)
		return err
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("privacy: erase: %w", err)
	}
	s.logger.InfoContext(ctx, "privacy: erased", "contact_id", res.ContactID, "address_hash", res.AddressHash)
	return res, nil
}

// lockContactSQL finds and locks the contact, so that no change to it commits between the reads
// and the delete below (a concurrent import of the address waits, then creates a new contact,
// which the suppression entry then covers).
const lockContactSQL = `SELECT id FROM contacts WHERE email = $1 FOR UPDATE`

// forgetPlainSQL keeps only the hash in the entries that name the address, and removes the
// address from any entry's source or actor that quotes it ("requested by email from …", also on
// domain entries). The source and actor conditions read the whole table; erasures are rare.
const forgetPlainSQL = `
UPDATE suppressions
SET address = CASE WHEN address_hash = $1 THEN NULL ELSE address END,
    source  = regexp_replace(source, $2, '` + events.Erased + `', 'gi'),
    actor   = regexp_replace(actor, $2, '` + events.Erased + `', 'gi')
WHERE address_hash = $1 OR source ~* $2 OR actor ~* $2`

// oneErasureSQL makes erasures run one at a time (per schema). Two at once could deadlock: each
// scrubs events that quote its address, which may be events of the other's contact, and the
// other anonymises those under the lock that makes ingestion wait (events.Forget). Erasures are
// rare and short.
const oneErasureSQL = `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`

// erasureClass is the advisory lock class of oneErasureSQL ("KjOn").
const erasureClass int32 = 0x4b6a4f6e

func (s *Service) erase(ctx context.Context, tx pgx.Tx, sub subject, actor string, res *Erasure) error {
	if _, err := tx.Exec(ctx, oneErasureSQL, erasureClass); err != nil {
		return err
	}
	err := tx.QueryRow(ctx, lockContactSQL, sub.address).Scan(&res.ContactID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	pattern := events.AddressPattern(sub.address)
	tag, err := tx.Exec(ctx, forgetPlainSQL, sub.hash, pattern)
	if err != nil {
		return err
	}
	res.PlainEntries = tag.RowsAffected()
	entry, _, err := s.list.Add(ctx, tx, suppression.Input{AddressHash: sub.hash, Reason: suppression.ReasonErasure,
		Source: "erasure", Actor: actor})
	if err != nil {
		return err
	}
	res.SuppressionID = entry.ID
	if res.Others, err = eraseOthers(ctx, tx, res.ContactID, sub, pattern); err != nil {
		return err
	}
	// Forget makes opens and clicks being stored right now wait, from its last step until the
	// commit: only quick steps follow it. Those stored before are anonymised by it; those after
	// find the contact gone.
	if res.Events, err = events.Forget(ctx, tx, res.ContactID, sub.address, sub.hash); err != nil {
		return err
	}
	// Every erasure says so in the feed, also when an earlier entry (an unsubscribe, say)
	// already suppressed the address and so no suppression_added event is written above.
	// Like the person's other events, it names no contact.
	_, err = events.Insert(ctx, tx, events.Event{Type: events.SubjectErased,
		Reason: string(suppression.ReasonErasure),
		Data:   map[string]any{"address_hash": hex.EncodeToString(sub.hash), "suppression_id": entry.ID}})
	if err != nil {
		return err
	}
	if res.ContactID != 0 {
		return register.New(tx).DeleteContact(ctx, res.ContactID)
	}
	return nil
}
