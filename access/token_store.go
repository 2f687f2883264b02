package access

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// issueTokenSQL inserts only for an enabled user; no row back means the user is missing or
// disabled, which IssueToken then tells apart.
const issueTokenSQL = `
INSERT INTO api_tokens (user_id, token_hash, label, created_at)
SELECT id, $2, $3, $4 FROM users WHERE id = $1 AND NOT disabled
RETURNING ` + tokenColumns

// IssueToken makes a new token for the user and returns it in plaintext (to be shown once: only
// its hash is stored) with its record. Errors: ErrNotFound for no such user, ErrConflict for a
// disabled user, ErrInvalid for a label longer than MaxLabelLen or with control characters.
func (s *Store) IssueToken(ctx context.Context, userID int64, label string) (string, Token, error) {
	label, err := validLabel(label)
	if err != nil {
		return "", Token{}, wrap("issue token", err)
	}
	plaintext, err := newTokenSecret()
	if err != nil {
		return "", Token{}, wrap("issue token", err)
	}
	hash, _ := hashToken(plaintext)
	t, err := scanToken(s.db.QueryRow(ctx, issueTokenSQL, userID, hash, label, s.now()))
	if errors.Is(err, ErrNotFound) {
		if _, uerr := s.User(ctx, userID); uerr != nil {
			return "", Token{}, wrap("issue token", uerr)
		}
		err = fmt.Errorf("%w: user %d is disabled", ErrConflict, userID)
	}
	if err != nil {
		return "", Token{}, wrap("issue token", err)
	}
	return plaintext, t, nil
}

const authenticateSQL = `
SELECT u.id, u.name, u.role, u.disabled, u.created_at,
       t.id, t.user_id, t.label, t.created_at, t.last_used_at, t.revoked_at
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = $1`

// touchSQL records use, and on a token's first recorded use in a UTC day ($4) a sign-in in the
// audit log, in one statement: either both are written or neither. The condition on
// last_used_at makes concurrent requests write once: the second waits for the first's row lock,
// re-reads the row, finds it fresh and touches nothing, so it records no second sign-in either.
const touchSQL = `
WITH touched AS (
    UPDATE api_tokens SET last_used_at = $2
    WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)
    RETURNING id
), signed_in AS (
    INSERT INTO audit_log (at, actor, user_id, token_id, action, target, ip)
    SELECT $2::timestamptz, $5::text, $6::bigint, id, '` + ActionSignIn + `',
           'users/' || $6::bigint || '/tokens/' || id, nullif($7::text, '')
    FROM touched WHERE $4::boolean
)
SELECT count(*) FROM touched`

// Authenticate is AuthenticateFrom with the client address unknown.
func (s *Store) Authenticate(ctx context.Context, plaintext string) (User, Token, error) {
	return s.AuthenticateFrom(ctx, plaintext, "")
}

// AuthenticateFrom returns the user and token that plaintext belongs to. A malformed, unknown
// or revoked token, or one whose user is disabled, gives ErrUnauthenticated (which one is not
// said). The lookup is by SHA-256, so no secret is compared byte by byte. It records the use in
// LastUsedAt when the stored time is older than LastUsedResolution and, when that stored time
// was on an earlier UTC day (or never), a sign-in (ActionSignIn) from ip in the audit log: at
// most one per token per day, the first recorded use. If that write fails the token does not
// authenticate (the error is not ErrUnauthenticated).
func (s *Store) AuthenticateFrom(ctx context.Context, plaintext, ip string) (User, Token, error) {
	hash, ok := hashToken(plaintext)
	if !ok {
		return User{}, Token{}, fmt.Errorf("access: authenticate: %w", ErrUnauthenticated)
	}
	var u User
	var t Token
	err := s.db.QueryRow(ctx, authenticateSQL, hash).Scan(
		&u.ID, &u.Name, &u.Role, &u.Disabled, &u.CreatedAt,
		&t.ID, &t.UserID, &t.Label, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return User{}, Token{}, fmt.Errorf("access: authenticate: %w", ErrUnauthenticated)
	case err != nil:
		return User{}, Token{}, wrap("authenticate", err)
	case u.Disabled || t.Revoked():
		return User{}, Token{}, fmt.Errorf("access: authenticate: %w", ErrUnauthenticated)
	}
	now := s.now()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= LastUsedResolution {
		signIn := t.LastUsedAt == nil || utcDay(*t.LastUsedAt) != utcDay(now)
		var n int
		if err := s.db.QueryRow(ctx, touchSQL, t.ID, now, now.Add(-LastUsedResolution), signIn,
			u.Name, u.ID, ip).Scan(&n); err != nil {
			return User{}, Token{}, wrap("authenticate: record use", err)
		}
		t.LastUsedAt = &now
	}
	return u, t, nil
}

func utcDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// RevokeToken revokes the user's token tokenID for good: it fails to authenticate from the next
// request on. Revoking a revoked token changes nothing. Errors: ErrNotFound when the user has no
// such token.
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	tag, err := s.db.Exec(ctx,
		`UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $3) WHERE id = $2 AND user_id = $1`,
		userID, tokenID, s.now())
	if err == nil && tag.RowsAffected() == 0 {
		err = ErrNotFound
	}
	return wrap(fmt.Sprintf("revoke token %d of user %d", tokenID, userID), err)
}

// Tokens returns the user's tokens, revoked ones included, oldest first. A user without tokens,
// or no such user, gives an empty list.
func (s *Store) Tokens(ctx context.Context, userID int64) ([]Token, error) {
	rows, err := s.db.Query(ctx, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, wrap("tokens", err)
	}
	ts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) { return scanToken(r) })
	return ts, wrap("tokens", err)
}
