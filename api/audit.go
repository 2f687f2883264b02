package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/pg"
)

// The audit log. Every route whose table row names an audit action writes an access.Entry when
// it succeeds: who (user and token), from where (client address), what (the action), the target
// (the route's path up to its last path value, e.g. "users/3/tokens/9", or what the handler set
// with auditTarget) and the detail handlers add with auditDetail.
//
// Where the change is the handler's own transaction, inAuditedTx writes the entry in it, so the
// change and its record commit together. Otherwise the entry is written right after the change,
// when the handler's success status is about to go out (auditWriter): before any byte of the
// answer, so an export is recorded before it leaves. If that write fails, the answer is a 500
// instead (the handler's body is discarded) and the entry goes to the error log: an audited
// action is never reported as done without its record.

type auditKey struct{}

// auditNote is a request's audit record in the making.
type auditNote struct {
	action  string
	target  string
	detail  map[string]any
	written bool // inAuditedTx (or a privacy call) already wrote the entry
}

func withAuditNote(ctx context.Context, action, target string) (context.Context, *auditNote) {
	n := &auditNote{action: action, target: target, detail: map[string]any{}}
	return context.WithValue(ctx, auditKey{}, n), n
}

func noteOf(r *http.Request) *auditNote {
	n, _ := r.Context().Value(auditKey{}).(*auditNote)
	return n
}

// auditDetail adds attributes (target IDs, changed field names, counts…) to the request's audit
// entry. It does nothing on a route that is not audited. Never pass secrets or a person's data
// beyond IDs and field names: the audit log is append-only and read by admins.
func auditDetail(r *http.Request, attrs ...slog.Attr) {
	if n := noteOf(r); n != nil {
		for _, at := range attrs {
			n.detail[at.Key] = attrValue(at.Value)
		}
	}
}

func attrValue(v slog.Value) any {
	if v.Kind() != slog.KindGroup {
		return v.Resolve().Any()
	}
	m := map[string]any{}
	for _, at := range v.Group() {
		m[at.Key] = attrValue(at.Value)
	}
	return m
}

// auditTarget names what the request acted on, for routes whose path does not (a user or contact
// just created: "users/5").
func auditTarget(r *http.Request, target string) {
	if n := noteOf(r); n != nil {
		n.target = target
	}
}

// pathTarget is the default target: the route's path after /api/v1/ up to its last path value,
// with the request's values ("/api/v1/campaigns/{id}/schedule" → "campaigns/7"); "" for a route
// without path values.
func pathTarget(pattern string, r *http.Request) string {
	_, path, _ := strings.Cut(pattern, " ")
	segs := strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")
	last := -1
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			last = i
			segs[i] = r.PathValue(strings.Trim(s, "{}"))
		}
	}
	return strings.Join(segs[:last+1], "/")
}

// auditBy is the request's caller as the audit template for domain calls that write their entry
// themselves (package privacy): who and from where; they fill in action, target and detail.
func auditBy(r *http.Request) access.Entry {
	c := callerOf(r.Context())
	return access.Entry{Actor: c.user.Name, UserID: c.user.ID, TokenID: c.token.ID, IP: c.ip}
}

// auditWritten marks the request's entry as written by the domain call.
func auditWritten(r *http.Request) {
	if n := noteOf(r); n != nil {
		n.written = true
	}
}

// entry is the request's audit entry as it stands.
func (n *auditNote) entry(r *http.Request) access.Entry {
	e := auditBy(r)
	e.Action, e.Target, e.Detail = n.action, n.target, n.detail
	return e
}

// inAuditedTx runs fn in a transaction and writes the request's audit entry in the same
// transaction once fn succeeded; detail fn adds with auditDetail is included.
func (a *API) inAuditedTx(r *http.Request, fn func(tx pgx.Tx) error) error {
	n := noteOf(r)
	return pg.InTx(r.Context(), a.db, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil || n == nil {
			return err
		}
		if _, err := access.Audit(r.Context(), tx, n.entry(r)); err != nil {
			return err
		}
		n.written = true
		return nil
	})
}

// writeAudit writes the entry of a succeeded request that no transaction has written yet.
func (a *API) writeAudit(r *http.Request, n *auditNote) error {
	if n == nil || n.written {
		return nil
	}
	e := n.entry(r)
	if _, err := access.Audit(context.WithoutCancel(r.Context()), a.db, e); err != nil {
		a.logger.LogAttrs(r.Context(), slog.LevelError, "api: audit entry not written; answering 500",
			slog.String("action", e.Action), slog.String("actor", e.Actor), slog.Int64("user_id", e.UserID),
			slog.Int64("token_id", e.TokenID), slog.String("ip", e.IP), slog.String("target", e.Target),
			slog.Any("detail", e.Detail), slog.String("error", err.Error()))
		return err
	}
	n.written = true
	return nil
}

var errAuditFailed = errors.New("api: the audit entry could not be written")

// auditWriter writes the request's audit entry when a success status is about to go out, and
// remembers the status. If the entry cannot be written it answers 500 instead, and every later
// Write of the handler fails with errAuditFailed (a streaming export stops there).
type auditWriter struct {
	http.ResponseWriter
	status int
	failed bool
	audit  func() error // nil for routes without an audit action
}

func (w *auditWriter) WriteHeader(code int) {
	if w.status != 0 {
		return // the answer's status is decided; a second call changes nothing
	}
	w.status = code
	if code < 400 && w.audit != nil {
		if err := w.audit(); err != nil {
			w.failed, w.status = true, http.StatusInternalServerError
			for _, h := range []string{"Content-Disposition", "Content-Length", "Location"} {
				w.Header().Del(h)
			}
			writeError(w.ResponseWriter, http.StatusInternalServerError, "internal error; the server log has the details", nil)
			return
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.failed {
		return 0, errAuditFailed
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what is buffered; the status (and the audit entry) go first, as for Write.
func (w *auditWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.failed {
		_ = http.NewResponseController(w.ResponseWriter).Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (deadlines).
func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
