package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/register"
)

// contactFields are the text fields `contacts update` can rectify, by flag name.
func contactFields(p *register.ContactPatch) map[string]**string {
	return map[string]**string{
		"email": &p.Email, "first-name": &p.FirstName, "last-name": &p.LastName, "job-title": &p.JobTitle,
		"academic-title": &p.AcademicTitle, "segment": &p.Segment, "country": &p.Country, "phone": &p.Phone,
		"postal-address": &p.PostalAddress, "customer-number": &p.CustomerNumber, "lead-id": &p.LeadID,
	}
}

func contactsUpdateCommand() *command {
	return &command{
		name:     "contacts update",
		args:     "EMAIL",
		summary:  "rectify a contact's fields (GDPR Art. 16): only the flags given change; \"\" clears a field (audited)",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			values := map[string]*string{}
			for name := range contactFields(&register.ContactPatch{}) {
				values[name] = fs.String(name, "", "new "+strings.ReplaceAll(name, "-", " "))
			}
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give the contact's current email address")
				}
				var p register.ContactPatch
				fields := contactFields(&p)
				given := 0
				fs.Visit(func(f *flag.Flag) {
					if dst, ok := fields[f.Name]; ok {
						*dst = values[f.Name]
						given++
					}
				})
				if given == 0 {
					return usagef("give at least one field to change, e.g. --last-name Korhonen")
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				c, err := register.New(db).ContactByEmail(ctx, args[0])
				if err != nil {
					return domainError(err)
				}
				var ch register.ContactChange
				err = pg.InTx(ctx, db, func(tx pgx.Tx) error {
					if ch, err = register.New(tx).UpdateContact(ctx, c.ID, p); err != nil || len(ch.Fields) == 0 {
						return err
					}
					return e.audit(ctx, tx, access.ActionContactRectify, fmt.Sprintf("contacts/%d", c.ID),
						map[string]any{"changed": ch.Fields}) // field names only: the values are personal data
				})
				if err != nil {
					return domainError(err)
				}
				if len(ch.Fields) == 0 {
					fmt.Fprintln(e.stdout, "nothing changed")
					return nil
				}
				fmt.Fprintf(e.stdout, "contact %d: changed %s\n", c.ID, strings.Join(ch.Fields, ", "))
				return nil
			}
		},
	}
}
