package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// Data subjects' requests (package privacy). Each writes its audit entry with the CLI's actor.

// openPrivacy builds the privacy service for a command, with the database it uses: the
// suppression list (Redis) and the optout service on one pool.
func (e *env) openPrivacy(ctx context.Context) (*privacy.Service, *pgxpool.Pool, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, nil, err
	}
	list, err := suppression.New(db, suppression.Config{RedisURL: e.cfg.RedisURL, Prefix: e.cfg.Namespace, Logger: e.logger})
	if err != nil {
		return nil, nil, err
	}
	e.onClose(func() { _ = list.Close() })
	svc := privacy.New(privacy.Config{DB: db, Suppression: list, Optouts: optout.New(db, list), Logger: e.logger})
	return svc, db, nil
}

// privacyError is domainError for package privacy.
func privacyError(err error) error {
	if errors.Is(err, privacy.ErrInvalid) || errors.Is(err, privacy.ErrNotFound) {
		return usageError{err.Error()}
	}
	return domainError(err)
}

func subjectsExportCommand() *command {
	return &command{
		name:     "subjects export",
		args:     "EMAIL",
		summary:  "everything held about an address as one JSON document (GDPR Art. 15; audited)",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			out := fs.String("out", "", "write the document to this file (created with mode 0600) instead of standard output")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one email address")
				}
				svc, _, err := e.openPrivacy(ctx)
				if err != nil {
					return err
				}
				doc, err := svc.Export(ctx, args[0], e.auditBy("", "", nil))
				if err != nil {
					return privacyError(err)
				}
				if *out == "" {
					return printJSON(e.stdout, doc)
				}
				f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return usagef("%v", err)
				}
				if err := printJSON(f, doc); err != nil {
					_ = f.Close()
					return err
				}
				if err := f.Close(); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "wrote %s: %d sends, %d events, %d suppression entries\n", *out,
					len(doc.Sends), len(doc.Events), len(doc.Suppressions))
				return nil
			}
		},
	}
}

func subjectsObjectCommand() *command {
	return &command{
		name:     "subjects object",
		args:     "EMAIL",
		summary:  "record an objection to direct marketing (GDPR Art. 21): no more marketing from any brand",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			source := fs.String("source", "", `how the objection reached us, e.g. "requested by email" (required)`)
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one email address")
				}
				if *source == "" {
					return usagef(`--source is required: how the objection reached us, e.g. "requested by email"`)
				}
				svc, _, err := e.openPrivacy(ctx)
				if err != nil {
					return err
				}
				res, err := svc.Object(ctx, args[0], *source, e.auditBy("", "", nil))
				if err != nil {
					return privacyError(err)
				}
				if *asJSON {
					return printJSON(e.stdout, res)
				}
				if res.ContactID != 0 {
					fmt.Fprintf(e.stdout, "objection recorded for contact %d: banned and suppressed for all marketing\n", res.ContactID)
				} else {
					fmt.Fprintf(e.stdout, "not in the register; suppressed for all marketing (entry %d)\n", res.SuppressionID)
				}
				return nil
			}
		},
	}
}

func subjectsEraseCommand() *command {
	return &command{
		name:     "subjects erase",
		args:     "EMAIL",
		summary:  "erase an address (GDPR Art. 17); a hashed suppression entry keeps it from being mailed again",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			yes := fs.Bool("yes", false, "confirm: the contact, its history and its events' personal data are gone for good")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one email address")
				}
				if !*yes {
					return usagef("erasure cannot be undone: add --yes to confirm")
				}
				svc, _, err := e.openPrivacy(ctx)
				if err != nil {
					return err
				}
				res, err := svc.Erase(ctx, args[0], e.auditBy("", "", nil))
				if err != nil {
					return privacyError(err)
				}
				if *asJSON {
					return printJSON(e.stdout, res)
				}
				who := "no contact held the address"
				if res.ContactID != 0 {
					who = fmt.Sprintf("contact %d deleted", res.ContactID)
				}
				fmt.Fprintf(e.stdout, "erased: %s; %d events anonymised; kept suppressed by hash (entry %d)\n", who,
					res.Events.ContactEvents+res.Events.SuppressionEvents+res.Events.OtherEvents, res.SuppressionID)
				return nil
			}
		},
	}
}

func subjectsTrackingCommand() *command {
	return &command{
		name:     "subjects tracking",
		args:     "EMAIL",
		summary:  "record a contact's own tracking choice: an objection (aggregate, off) or consent (individual)",
		settings: suppressionSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			level := fs.String("level", "", `individual, aggregate, off, or "brand" to follow the brand again (required)`)
			source := fs.String("source", "", `how the choice reached us, e.g. "requested by email" (required)`)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one email address")
				}
				if *level == "" || *source == "" {
					return usagef("--level and --source are required")
				}
				lv := *level
				if lv == "brand" {
					lv = ""
				}
				svc, db, err := e.openPrivacy(ctx)
				if err != nil {
					return err
				}
				c, err := register.New(db).ContactByEmail(ctx, args[0])
				if err != nil {
					return domainError(err)
				}
				ch, err := svc.SetTracking(ctx, c.ID, lv, *source, e.auditBy("", "", nil))
				if err != nil {
					return privacyError(err)
				}
				fmt.Fprintf(e.stdout, "contact %d: tracking %s from the next message\n", c.ID, orDash(ch.Level))
				return nil
			}
		},
	}
}
