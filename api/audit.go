package api

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
)

// The audit seam. Every route whose table row names an audit action reaches audit once it has
// succeeded (status below 400), with who (user and token), from where (client address), what
// (the action, and the route's path values as group "target") and whatever detail the handler
// added with auditDetail. Until the audit log of issue 5 exists (an append-only table in package
// access), the record goes to the log at Info with message "audit"; writing it to that table is a
// change to this file alone.

type auditKey struct{}

// auditNote collects a request's audit detail; handlers add to it with auditDetail.
type auditNote struct{ attrs []slog.Attr }

// auditDetail adds attributes (target IDs, changed fields…) to the request's audit record. It
// does nothing on a route that is not audited. Never pass secrets or a person's data beyond IDs
// and field names: the audit log is read by admins.
func auditDetail(r *http.Request, attrs ...slog.Attr) {
	if n, ok := r.Context().Value(auditKey{}).(*auditNote); ok {
		n.attrs = append(n.attrs, attrs...)
	}
}

func withAuditNote(ctx context.Context) (context.Context, *auditNote) {
	n := &auditNote{}
	return context.WithValue(ctx, auditKey{}, n), n
}

var wildcard = regexp.MustCompile(`\{([a-z_]+)\}`)

// audit records a succeeded audited request.
func (a *API) audit(r *http.Request, rt route, c caller, n *auditNote) {
	attrs := []slog.Attr{
		slog.String("action", rt.audit),
		slog.Int64("user_id", c.user.ID), slog.String("user", c.user.Name),
		slog.Int64("token_id", c.token.ID), slog.String("ip", c.ip),
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
	}
	var target []any
	for _, m := range wildcard.FindAllStringSubmatch(rt.pattern, -1) {
		target = append(target, slog.String(m[1], r.PathValue(m[1])))
	}
	if len(target) > 0 {
		attrs = append(attrs, slog.Group("target", target...))
	}
	attrs = append(attrs, n.attrs...)
	a.logger.LogAttrs(r.Context(), slog.LevelInfo, "audit", attrs...)
}
