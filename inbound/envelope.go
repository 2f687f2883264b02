package inbound

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/kirje/kirje/inbound/dsn"
	"github.com/kirje/kirje/token"
)

// envelopeTokens are the verified tokens of a message's recipients.
type envelopeTokens struct {
	verp   []token.Claims // b+TOKEN@ recipients: this is a bounce of that send
	mailto []token.Claims // u+TOKEN@ recipients: an unsubscribe
	others bool           // any other recipient (postmaster@, a feedback-loop mailbox…)
}

// readEnvelope verifies the tokens of the envelope recipients, or of the addresses in the
// headers when the envelope has none (a saved message).
func (p *Processor) readEnvelope(env Envelope, rep *dsn.Report) envelopeTokens {
	var in envelopeTokens
	addrs := env.To
	if len(addrs) == 0 {
		addrs = rep.To
	}
	for _, a := range addrs {
		c, kind, ok := p.tokenAddress(a)
		switch {
		case ok && kind == token.Bounce:
			in.verp = appendClaims(in.verp, c)
		case ok && kind == token.Mailto:
			in.mailto = appendClaims(in.mailto, c)
		default:
			in.others = true
		}
	}
	return in
}

// tokenAddress verifies an address of the form b+TOKEN@domain or u+TOKEN@domain (any domain:
// the listener checks that) and returns its claims and kind.
func (p *Processor) tokenAddress(addr string) (token.Claims, token.Kind, bool) {
	local, _, ok := strings.Cut(strings.Trim(strings.TrimSpace(addr), "<>"), "@")
	if !ok {
		return token.Claims{}, 0, false
	}
	local = strings.ToLower(local)
	for _, k := range []struct {
		prefix string
		kind   token.Kind
	}{{token.ReturnPathPrefix, token.Bounce}, {token.MailtoPrefix, token.Mailto}} {
		if tok, found := strings.CutPrefix(local, k.prefix); found {
			c, err := p.cfg.Keys.VerifyAddress(tok, k.kind)
			return c, k.kind, err == nil
		}
	}
	return token.Claims{}, 0, false
}

// appendClaims adds c unless a claim for the same campaign and contact is there.
func appendClaims(cs []token.Claims, c token.Claims) []token.Claims {
	for _, x := range cs {
		if x.CampaignID == c.CampaignID && x.ContactID == c.ContactID {
			return cs
		}
	}
	return append(cs, c)
}

// dedupeBase names a message for dedupe keys: its Message-ID, or its bytes when it has none.
func dedupeBase(messageID string, raw []byte) string {
	var sum [32]byte
	if messageID != "" {
		sum = sha256.Sum256([]byte("message-id:" + messageID))
	} else {
		sum = sha256.Sum256(raw)
	}
	return "inbound:" + hex.EncodeToString(sum[:16])
}
