package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/kirje/kirje/access"
)

func auditListCommand() *command {
	return &command{
		name:     "audit list",
		summary:  "show the audit log: who did what, when and from where (oldest first)",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			after := fs.Int64("after", 0, "show entries after this ID (the last ID of the previous page)")
			limit := fs.Int("limit", 100, "entries to show (at most 1000)")
			user := fs.String("user", "", `only this actor: a user name, or "cli:NAME"`)
			action := fs.String("action", "", "only this action, e.g. subject.erase or auth.sign_in")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if err := checkLimit(*limit, 1000); err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				es, err := access.AuditLog(ctx, db, access.AuditQuery{AfterID: *after, Limit: *limit, Actor: *user, Action: *action})
				if err != nil {
					return accessError(err)
				}
				if *asJSON {
					if es == nil {
						es = []access.Entry{}
					}
					return printJSON(e.stdout, es)
				}
				printAudit(e, es)
				return nil
			}
		},
	}
}

func printAudit(e *env, es []access.Entry) {
	rows := make([][]string, 0, len(es))
	for _, en := range es {
		detail := ""
		if len(en.Detail) > 0 {
			b, _ := json.Marshal(en.Detail)
			detail = string(b)
		}
		rows = append(rows, []string{fmt.Sprint(en.ID), en.At.Local().Format(time.DateTime), en.Actor,
			orDash(en.IP), en.Action, orDash(en.Target), detail})
	}
	table(e.stdout, []string{"ID", "AT", "ACTOR", "FROM", "ACTION", "TARGET", "DETAIL"}, rows)
}
