package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
)

// TokenPrefix starts every token, so that secret scanners and people recognise one.
const TokenPrefix = "kirje_"

// tokenBytes is the token's randomness: 256 bits.
const tokenBytes = 32

// LastUsedResolution is how stale Token.LastUsedAt may be: Authenticate writes it at most once
// per this interval per token.
const LastUsedResolution = time.Minute

// MaxLabelLen bounds a token's label, in characters.
const MaxLabelLen = 100

// Token is an API token's record; the secret itself is never stored.
type Token struct {
	ID         int64      `json:"id"`
	UserID     int64      `json:"user_id"`
	Label      string     `json:"label"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"` // nil until first used; up to LastUsedResolution stale
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Revoked reports whether the token was revoked.
func (t Token) Revoked() bool { return t.RevokedAt != nil }

// newTokenSecret returns a fresh token in its textual form.
func newTokenSecret() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken returns what the database stores for a presented token, or false when plaintext is
// not shaped like one of ours (so it is refused without a query).
func hashToken(plaintext string) ([]byte, bool) {
	enc, ok := strings.CutPrefix(plaintext, TokenPrefix)
	if !ok || len(enc) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return nil, false
	}
	if raw, err := base64.RawURLEncoding.Strict().DecodeString(enc); err != nil || len(raw) != tokenBytes {
		return nil, false
	}
	h := sha256.Sum256([]byte(plaintext))
	return h[:], true
}

func validLabel(label string) (string, error) {
	label = strings.TrimSpace(label)
	if len([]rune(label)) > MaxLabelLen {
		return "", fmt.Errorf("%w: label longer than %d characters", ErrInvalid, MaxLabelLen)
	}
	if strings.ContainsFunc(label, unicode.IsControl) {
		return "", fmt.Errorf("%w: label has control characters", ErrInvalid)
	}
	return label, nil
}

const tokenColumns = `id, user_id, label, created_at, last_used_at, revoked_at`

func scanToken(row pgx.Row) (Token, error) {
	var t Token
	err := row.Scan(&t.ID, &t.UserID, &t.Label, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNotFound
	}
	return t, err
}
