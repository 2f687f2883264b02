package inbound

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/kirje/kirje/internal/pg"
)

// Reasons a message is quarantined (Result.Quarantined, inbound_quarantine.reason).
const (
	QuarantineMalformed = "malformed" // it could not be read as mail, or exceeded the parser's limits
	QuarantineUnmatched = "unmatched" // it named no send Kirje knows (spam to postmaster@, a stranger's bounce)
	QuarantinePanic     = "panic"     // the pipeline failed on it (a bug); the listener logged the stack
)

// quarantineIfNeeded keeps res's message when it was malformed or matched nothing, and returns
// the reason ("" when it was not kept).
func (p *Processor) quarantineIfNeeded(ctx context.Context, env Envelope, raw []byte, res Result) (string, error) {
	reason, detail := "", ""
	switch {
	case res.Malformed != "":
		reason, detail = QuarantineMalformed, res.Malformed
	case !anyMatched(res.Outcomes):
		reason, detail = QuarantineUnmatched, string(res.Kind)
	default:
		return "", nil
	}
	return reason, p.Quarantine(ctx, env, raw, reason, detail)
}

func anyMatched(outs []Outcome) bool {
	for _, o := range outs {
		if o.Match != "" {
			return true
		}
	}
	return false
}

// quarantineSQL keeps a message once: a repeat (same bytes) is skipped.
const quarantineSQL = `
INSERT INTO inbound_quarantine (received_at, reason, detail, mail_from, rcpt_to, remote_addr, size, raw, sha256)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (sha256) DO NOTHING`

// Quarantine keeps raw (its first QuarantineMaxBytes) with how it arrived, for a person to look
// at; reason is one of the Quarantine* constants. Keeping the same message again does nothing.
func (p *Processor) Quarantine(ctx context.Context, env Envelope, raw []byte, reason, detail string) error {
	if p.deps.DB == nil {
		return fmt.Errorf("%w: Quarantine needs DB", ErrInvalid)
	}
	sum := sha256.Sum256(raw)
	kept := raw[:min(len(raw), p.cfg.QuarantineMaxBytes)]
	rcpts := make([]string, 0, len(env.To))
	for _, to := range env.To {
		rcpts = append(rcpts, safe(to, 320))
	}
	_, err := p.deps.DB.Exec(ctx, quarantineSQL, p.cfg.Now(), reason, safe(detail, 1000), safe(env.From, 320),
		rcpts, safe(env.RemoteAddr, 100), len(raw), kept, sum[:])
	if err != nil {
		return fmt.Errorf("inbound: quarantine: %w", err)
	}
	return nil
}

// PurgeQuarantine deletes quarantined messages received before `before` and returns how many.
// Quarantined mail holds personal data: run it periodically (e.g. keep 30 days).
func PurgeQuarantine(ctx context.Context, db pg.DBTX, before time.Time) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM inbound_quarantine WHERE received_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("inbound: purge quarantine: %w", err)
	}
	return tag.RowsAffected(), nil
}

// safe makes text from the network storable in a text column: valid UTF-8, no NUL, bounded.
func safe(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
