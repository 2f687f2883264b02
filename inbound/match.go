package inbound

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/inbound/dsn"
	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/token"
)

// match is the send a recipient was tied to.
type match struct {
	method                         string // a Match* constant; "" when nothing matched
	campaignID, contactID, brandID int64
	email                          string // the contact's address; "" when unknown or erased
	banned                         bool
	erased                         bool // a token named a contact that no longer exists
}

// match ties r to a send, trying the strongest evidence first: the envelope's VERP token, tokens
// in the returned message, its Message-ID in the send ledger, the recipient's address. In a
// report about several recipients a token only matches the recipient whose address it names.
func (p *Processor) match(ctx context.Context, m message, r dsn.Recipient) (match, error) {
	multi := len(m.rep.Recipients) > 1
	for _, cand := range []struct {
		method string
		claims []token.Claims
	}{{MatchVERP, m.in.verp}, {MatchToken, p.originalClaims(m.rep.Original)}} {
		for _, c := range cand.claims {
			mt, err := p.resolve(ctx, cand.method, c.CampaignID, c.ContactID)
			if err != nil {
				return match{}, err
			}
			if multi && r.Address != "" && mt.email != "" && mt.email != r.Address {
				continue
			}
			return mt, nil
		}
	}
	if p.deps.DB == nil {
		return match{}, nil
	}
	if id := m.rep.Original.MessageID; id != "" {
		mt, err := p.byMessageID(ctx, id)
		if err != nil || (mt.method != "" && (!multi || mt.email == r.Address)) {
			return mt, err
		}
	}
	if r.Address == "" {
		return match{}, nil
	}
	return p.byAddress(ctx, r.Address, m.rep.Original.Campaign)
}

// originalClaims verifies the tokens found in the returned message.
func (p *Processor) originalClaims(o dsn.Original) []token.Claims {
	var out []token.Claims
	verify := func(toks []string, kind token.Kind, f func(string, token.Kind) (token.Claims, error)) {
		for _, t := range toks {
			if c, err := f(t, kind); err == nil {
				out = appendClaims(out, c)
			}
		}
	}
	verify(o.ReturnPath, token.Bounce, p.cfg.Keys.VerifyAddress)
	verify(o.Mailto, token.Mailto, p.cfg.Keys.VerifyAddress)
	verify(o.Unsubscribe, token.Unsubscribe, p.cfg.Keys.Verify)
	return out
}

// resolveSQL reads the contact and the campaign's brand a token names; either may be gone.
const resolveSQL = `
SELECT c.id IS NULL, coalesce(c.email, ''), c.banned_at IS NOT NULL,
       coalesce((SELECT brand_id FROM campaigns WHERE id = $1), 0)
FROM (SELECT $2::bigint AS id) k LEFT JOIN contacts c ON c.id = k.id`

func (p *Processor) resolve(ctx context.Context, method string, campaignID, contactID int64) (match, error) {
	mt := match{method: method, campaignID: campaignID, contactID: contactID}
	if p.deps.DB == nil {
		return mt, nil
	}
	var missing bool
	err := p.deps.DB.QueryRow(ctx, resolveSQL, campaignID, contactID).Scan(&missing, &mt.email, &mt.banned, &mt.brandID)
	if err != nil {
		return match{}, fmt.Errorf("inbound: resolve contact %d: %w", contactID, err)
	}
	mt.erased = missing
	return mt, nil
}

// byMessageIDSQL uses send_ledger_message_id_idx.
const byMessageIDSQL = `SELECT campaign_id, contact_id FROM send_ledger WHERE message_id = $1 LIMIT 1`

func (p *Processor) byMessageID(ctx context.Context, id string) (match, error) {
	var campaignID, contactID int64
	err := p.deps.DB.QueryRow(ctx, byMessageIDSQL, id).Scan(&campaignID, &contactID)
	if errors.Is(err, pgx.ErrNoRows) {
		return match{}, nil
	}
	if err != nil {
		return match{}, fmt.Errorf("inbound: match message ID: %w", err)
	}
	return p.resolve(ctx, MatchMessageID, campaignID, contactID)
}

// byAddressSQL finds the contact, and the campaign named by the returned message's
// X-Kirje-Campaign header when that campaign did send to the contact (a primary-key lookup).
const byAddressSQL = `
SELECT c.id, c.banned_at IS NOT NULL,
       coalesce((SELECT l.campaign_id FROM send_ledger l WHERE l.campaign_id = $2 AND l.contact_id = c.id), 0)
FROM contacts c WHERE c.email = $1`

func (p *Processor) byAddress(ctx context.Context, address, campaign string) (match, error) {
	norm, err := emailaddr.Normalize(address)
	if err != nil {
		return match{}, nil
	}
	campaignID, _ := strconv.ParseInt(campaign, 10, 64)
	mt := match{method: MatchAddress, email: norm}
	err = p.deps.DB.QueryRow(ctx, byAddressSQL, norm, campaignID).Scan(&mt.contactID, &mt.banned, &mt.campaignID)
	if errors.Is(err, pgx.ErrNoRows) {
		return match{}, nil
	}
	if err != nil {
		return match{}, fmt.Errorf("inbound: match address: %w", err)
	}
	if mt.campaignID != 0 {
		if err := p.deps.DB.QueryRow(ctx, `SELECT brand_id FROM campaigns WHERE id = $1`, mt.campaignID).Scan(&mt.brandID); err != nil {
			return match{}, fmt.Errorf("inbound: match address: brand: %w", err)
		}
	}
	return mt, nil
}
