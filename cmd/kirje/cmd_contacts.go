package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/register"
)

func contactsImportCommand() *command {
	return &command{
		name:     "contacts import",
		args:     "FILE.csv",
		summary:  "import contacts from CSV (upsert by email); bad rows are reported and skipped",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print the result as JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one CSV file (or - for standard input)")
				}
				in, err := e.openInput(args[0])
				if err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				res, err := register.NewImporter(db, e.logger).Import(ctx, in, register.ImportOptions{
					Actor: e.actor(), Source: "cli import",
					Progress: func(n int) { e.progress("imported %d rows…", n) },
				})
				e.progressDone()
				if auditErr := e.audit(ctx, db, access.ActionContactImport, "contacts", map[string]any{
					"imported": res.Imported, "updated": res.Updated, "rejected": res.Rejected}); auditErr != nil && err == nil {
					err = auditErr
				}
				if err != nil {
					return domainError(err)
				}
				if *asJSON {
					return printJSON(e.stdout, res)
				}
				fmt.Fprintf(e.stdout, "imported %d, updated %d, rejected %d\n", res.Imported, res.Updated, res.Rejected)
				for _, re := range res.Errors {
					fmt.Fprintf(e.stdout, "  line %d: %s: %s\n", re.Line, orDash(re.Email), re.Reason)
				}
				if extra := res.Rejected - len(res.Errors); extra > 0 {
					fmt.Fprintf(e.stdout, "  … and %d more rejected rows\n", extra)
				}
				return nil
			}
		},
	}
}

func contactsShowCommand() *command {
	return &command{
		name:     "contacts show",
		args:     "EMAIL",
		summary:  "show a contact with its company and marketing bans and consents",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one email address")
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				reg := register.New(db)
				c, err := reg.ContactByEmail(ctx, args[0])
				if err != nil {
					return domainError(err)
				}
				var company *register.Company
				if c.CompanyID != 0 {
					co, err := reg.Company(ctx, c.CompanyID)
					if err != nil {
						return err
					}
					company = &co
				}
				perms, err := reg.Permissions(ctx, c.ID)
				if err != nil {
					return err
				}
				if *asJSON {
					return printJSON(e.stdout, map[string]any{"contact": c, "company": company, "permissions": perms})
				}
				printContact(e, c, company, perms)
				return nil
			}
		},
	}
}

func printContact(e *env, c register.Contact, company *register.Company, perms []register.Permission) {
	w := e.stdout
	fmt.Fprintf(w, "%s %s <%s>  (contact %d, %s)\n", c.FirstName, c.LastName, c.Email, c.ID, c.Kind)
	for _, f := range [][2]string{{"title", c.JobTitle}, {"academic title", c.AcademicTitle}, {"segment", c.Segment},
		{"country", c.Country}, {"phone", c.Phone}, {"customer number", c.CustomerNumber}, {"lead ID", c.LeadID}} {
		if f[1] != "" {
			fmt.Fprintf(w, "  %-16s %s\n", f[0]+":", f[1])
		}
	}
	if company != nil {
		fmt.Fprintf(w, "  %-16s %s %s\n", "company:", company.Name, company.BusinessID)
	}
	ok, why := c.Mailable()
	status := "may receive marketing"
	if !ok {
		status = "no marketing (" + why + ")"
	}
	fmt.Fprintf(w, "  %-16s %s\n", "marketing:", status)
	for _, p := range perms {
		fmt.Fprintf(w, "    %s  %-8s %s by %s\n", fmtTime(&p.CreatedAt), p.Action, p.Source, p.Actor)
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func segmentsPreviewCommand() *command {
	return &command{
		name:     "segments preview",
		summary:  "count the contacts a segment filter selects",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			filter := fs.String("filter", "{}", `segment filter JSON, e.g. {"field":"title","op":"contains","value":"purchas"}`)
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				f, err := campaign.ParseFilter([]byte(*filter))
				if err != nil {
					return domainError(err)
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				counts, err := campaign.Preview(ctx, db, f)
				if err != nil {
					return domainError(err)
				}
				if *asJSON {
					return printJSON(e.stdout, counts)
				}
				fmt.Fprintf(e.stdout, "%d contacts match; %d may receive marketing\n", counts.Matching, counts.Mailable)
				return nil
			}
		},
	}
}
