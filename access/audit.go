package access

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// Entry is one record of the audit log: who (Actor, with UserID and TokenID for API calls), did
// what (Action) to what (Target), when (At), from where (IP), and Detail (IDs, counts and field
// names — never secrets, and never a data subject's address: name subjects by SubjectTarget).
type Entry struct {
	ID      int64          `json:"id"`
	At      time.Time      `json:"at"`
	Actor   string         `json:"actor"`
	UserID  int64          `json:"user_id,omitempty"`
	TokenID int64          `json:"token_id,omitempty"`
	Action  string         `json:"action"`
	Target  string         `json:"target,omitempty"`
	IP      string         `json:"ip,omitempty"`
	Detail  map[string]any `json:"detail,omitempty"`
}

var actionPattern = regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)

// SubjectTarget is the Target of an entry about a data subject known by their address: the
// address's suppression hash (hex SHA-256 of the normalised address), so the log can be matched
// against a later request about the same address without ever holding it.
func SubjectTarget(addressHash []byte) string { return fmt.Sprintf("subjects/%x", addressHash) }

const auditSQL = `
INSERT INTO audit_log (at, actor, user_id, token_id, action, target, ip, detail)
VALUES (coalesce($1, now()), $2, nullif($3, 0), nullif($4, 0), $5, $6, nullif($7, ''), $8)
RETURNING id, at`

// Audit appends e to the audit log with db — a pool, or the transaction of the change it
// records, so that the two commit together. A zero At means the database's now(). It returns e
// as stored. Errors: ErrInvalid for an empty Actor or an Action not shaped "noun.verb" (both are
// programming mistakes); any database error. A caller must not go on as if the action were
// recorded when Audit fails.
func Audit(ctx context.Context, db pg.DBTX, e Entry) (Entry, error) {
	if strings.TrimSpace(e.Actor) == "" || !actionPattern.MatchString(e.Action) {
		return Entry{}, fmt.Errorf("access: audit: %w: actor %q, action %q", ErrInvalid, e.Actor, e.Action)
	}
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	js, err := json.Marshal(detail)
	if err != nil {
		return Entry{}, fmt.Errorf("access: audit %s: detail: %w", e.Action, err)
	}
	var at *time.Time
	if !e.At.IsZero() {
		at = &e.At
	}
	if err := db.QueryRow(ctx, auditSQL, at, e.Actor, e.UserID, e.TokenID, e.Action, e.Target, e.IP,
		js).Scan(&e.ID, &e.At); err != nil {
		return Entry{}, fmt.Errorf("access: audit %s: %w", e.Action, err)
	}
	return e, nil
}

// AuditQuery selects a page of the audit log, oldest first. Zero values mean "any".
type AuditQuery struct {
	AfterID int64  // keyset: entries with a larger ID
	Limit   int    // default 100, at most 1000
	Actor   string // only this actor (a user name, or "cli:…")
	Action  string // only this action
}

const auditLogSQL = `
SELECT id, at, actor, coalesce(user_id, 0), coalesce(token_id, 0), action, target, coalesce(ip, ''), detail
FROM audit_log
WHERE id > $1 AND ($2 = '' OR actor = $2) AND ($3 = '' OR action = $3)
ORDER BY id
LIMIT $4`

// AuditLog returns the entries q selects, in ID order; pass the last ID back as AfterID for the
// next page. A negative limit is ErrInvalid.
func AuditLog(ctx context.Context, db pg.DBTX, q AuditQuery) ([]Entry, error) {
	switch {
	case q.Limit < 0:
		return nil, fmt.Errorf("access: audit log: %w: negative limit", ErrInvalid)
	case q.Limit == 0:
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	rows, err := db.Query(ctx, auditLogSQL, q.AfterID, strings.TrimSpace(q.Actor), q.Action, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("access: audit log: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.UserID, &e.TokenID, &e.Action, &e.Target, &e.IP, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("access: audit log: %w", err)
	}
	return out, nil
}
