package main

import (
	"context"
	"fmt"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/pg"
)

// audit records an action done from the command line in the audit log, with the CLI's actor
// (KIRJE_ADMIN_USER, or "cli:<OS user>") and no address: the CLI runs where the operator is.
// Pass the change's transaction as db where there is one, so the two commit together; otherwise
// call it right after the change, and fail the command if it fails. target names what was acted
// on ("users/3", "campaigns/7", access.SubjectTarget(hash) for a data subject — never an address).
func (e *env) audit(ctx context.Context, db pg.DBTX, action, target string, detail map[string]any) error {
	_, err := access.Audit(ctx, db, e.auditBy(action, target, detail))
	if err != nil {
		return fmt.Errorf("the change is made, but its audit entry could not be written: %w", err)
	}
	return nil
}

// auditBy is the audit entry of a CLI action, for domain calls that write it themselves.
func (e *env) auditBy(action, target string, detail map[string]any) access.Entry {
	return access.Entry{Actor: e.actor(), Action: action, Target: target, Detail: detail}
}
