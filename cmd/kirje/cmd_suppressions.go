package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// suppressionSettings: the list writes its Redis mirror, so these commands need Redis too.
func suppressionSettings() []string { return queueSettings() }

// openList opens the suppression list for a command.
func (e *env) openList(ctx context.Context) (*suppression.List, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	l, err := suppression.New(db, suppression.Config{RedisURL: e.cfg.RedisURL, Prefix: e.cfg.Namespace, Logger: e.logger})
	if err != nil {
		return nil, err
	}
	e.onClose(func() { _ = l.Close() })
	return l, nil
}

func brandFlag(ctx context.Context, e *env, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	db, err := e.db(ctx)
	if err != nil {
		return 0, err
	}
	b, err := findBrand(ctx, register.New(db), v)
	return b.ID, err
}

func suppressionsAddCommand() *command {
	return &command{
		name:     "suppressions add",
		args:     "ADDRESS|@DOMAIN",
		summary:  "suppress an address or a whole domain (e.g. a person who asked by phone or email)",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			reason := fs.String("reason", "manual", "unsubscribe, bounce, complaint, manual, erasure or import")
			brand := fs.String("brand", "", "only this brand's marketing (name or ID; default: all marketing)")
			source := fs.String("source", "cli", `how the request arrived, e.g. "requested by phone"`)
			asJSON := fs.Bool("json", false, "print the entry as JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one address or @domain")
				}
				brandID, err := brandFlag(ctx, e, *brand)
				if err != nil {
					return err
				}
				in := suppression.Input{BrandID: brandID, Reason: suppression.Reason(*reason), Source: *source, Actor: e.actor()}
				if d, ok := strings.CutPrefix(args[0], "@"); ok {
					in.Domain = d
				} else {
					in.Address = args[0]
				}
				l, err := e.openList(ctx)
				if err != nil {
					return err
				}
				entry, created, err := l.AddOne(ctx, in)
				if err != nil {
					return domainError(err)
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				if err := e.audit(ctx, db, access.ActionSuppressionAdd, fmt.Sprintf("suppressions/%d", entry.ID),
					map[string]any{"reason": entry.Reason, "brand_id": entry.BrandID, "created": created}); err != nil {
					return err
				}
				if *asJSON {
					return printJSON(e.stdout, entry)
				}
				verb := "added"
				if !created {
					verb = "was already on the list"
				}
				fmt.Fprintf(e.stdout, "suppression %d %s\n", entry.ID, verb)
				return nil
			}
		},
	}
}

func suppressionsRemoveCommand() *command {
	return &command{
		name:     "suppressions remove",
		args:     "ID|ADDRESS|@DOMAIN",
		summary:  "remove a suppression (an administrator's decision; the removal is recorded)",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			brand := fs.String("brand", "", "the brand-scoped entry (name or ID) when giving an address or domain")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one entry ID, address or @domain")
				}
				brandID, err := brandFlag(ctx, e, *brand)
				if err != nil {
					return err
				}
				l, err := e.openList(ctx)
				if err != nil {
					return err
				}
				arg := args[0]
				if id, perr := strconv.ParseInt(arg, 10, 64); perr == nil {
					err = l.Remove(ctx, id, e.actor())
				} else if d, ok := strings.CutPrefix(arg, "@"); ok {
					err = l.RemoveDomain(ctx, d, brandID, e.actor())
				} else {
					err = l.RemoveAddress(ctx, arg, brandID, e.actor())
				}
				if err != nil {
					return domainError(err)
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				// An address is not written into the audit log: its hash names it.
				target := arg
				if _, perr := strconv.ParseInt(arg, 10, 64); perr == nil {
					target = "suppressions/" + arg
				} else if !strings.HasPrefix(arg, "@") {
					if n, nerr := suppression.Normalize(arg); nerr == nil {
						h := suppression.Hash(n)
						target = access.SubjectTarget(h[:])
					}
				}
				if err := e.audit(ctx, db, access.ActionSuppressionRemove, target, map[string]any{"brand_id": brandID}); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "removed")
				return nil
			}
		},
	}
}

func suppressionsListCommand() *command {
	return &command{
		name:     "suppressions list",
		summary:  "list suppression entries",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print JSON")
			reason := fs.String("reason", "", "only this reason")
			after := fs.Int64("after", 0, "entries after this ID")
			limit := fs.Int("limit", 100, "how many (at most 1000)")
			return func(ctx context.Context, e *env, args []string) error {
				if err := checkLimit(*limit, 1000); err != nil {
					return err
				}
				l, err := e.openList(ctx)
				if err != nil {
					return err
				}
				entries, err := l.List(ctx, suppression.ListOptions{AfterID: *after, Limit: *limit, Reason: suppression.Reason(*reason)})
				if err != nil {
					return domainError(err)
				}
				return printList(e.stdout, *asJSON, entries, []string{"ID", "ENTRY", "SCOPE", "REASON", "SOURCE", "ADDED"},
					func(en suppression.Entry) []string {
						what := en.Address
						switch {
						case en.Domain != "":
							what = "@" + en.Domain
						case what == "":
							what = fmt.Sprintf("sha256:%x", en.AddressHash)
						}
						scope := "all"
						if en.BrandID != 0 {
							scope = fmt.Sprintf("brand %d", en.BrandID)
						}
						return []string{fmt.Sprint(en.ID), what, scope, string(en.Reason), en.Source, fmtTime(&en.CreatedAt)}
					})
			}
		},
	}
}

func suppressionsImportCommand() *command {
	return &command{
		name:     "suppressions import",
		args:     "FILE.csv",
		summary:  "import suppressions from CSV (columns email, domain or sha256)",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			reason := fs.String("reason", "import", "reason recorded for the entries")
			brand := fs.String("brand", "", "only this brand's marketing (default: all)")
			hashOnly := fs.Bool("hash-only", false, "keep only hashes of the addresses")
			asJSON := fs.Bool("json", false, "print the result as JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one CSV file (or - for standard input)")
				}
				in, err := e.openInput(args[0])
				if err != nil {
					return err
				}
				brandID, err := brandFlag(ctx, e, *brand)
				if err != nil {
					return err
				}
				l, err := e.openList(ctx)
				if err != nil {
					return err
				}
				res, err := l.Import(ctx, in, suppression.ImportOptions{Reason: suppression.Reason(*reason),
					BrandID: brandID, Source: "cli import", Actor: e.actor(), HashOnly: *hashOnly,
					Progress: func(n int) { e.progress("imported %d rows…", n) }})
				e.progressDone()
				db, dbErr := e.db(ctx)
				if dbErr == nil {
					dbErr = e.audit(ctx, db, access.ActionSuppressionImport, "suppressions", map[string]any{
						"added": res.Added, "existing": res.Existing, "rejected": res.Rejected})
				}
				if err == nil {
					err = dbErr
				}
				if err != nil {
					return domainError(err)
				}
				if *asJSON {
					return printJSON(e.stdout, res)
				}
				fmt.Fprintf(e.stdout, "added %d, already present %d, rejected %d\n", res.Added, res.Existing, res.Rejected)
				for _, re := range res.Errors {
					fmt.Fprintf(e.stdout, "  line %d: %s\n", re.Line, re.Reason)
				}
				return nil
			}
		},
	}
}

func suppressionsExportCommand() *command {
	return &command{
		name:     "suppressions export",
		summary:  "write the whole list as CSV to standard output",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				l, err := e.openList(ctx)
				if err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				// Recorded before the first byte goes out, as the API does.
				if err := e.audit(ctx, db, access.ActionSuppressionExport, "suppressions", nil); err != nil {
					return err
				}
				_, err = l.Export(ctx, e.stdout)
				return err
			}
		},
	}
}
