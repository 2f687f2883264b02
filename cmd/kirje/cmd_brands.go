package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/register"
)

func brandsCreateCommand() *command {
	return &command{
		name:     "brands create",
		summary:  "create a brand: a sender identity campaigns are sent as",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			var in register.BrandInput
			var keyFile string
			asJSON := fs.Bool("json", false, "print the brand as JSON")
			fs.StringVar(&in.Name, "name", "", "brand name (unique)")
			fs.StringVar(&in.From, "from", "", `sender, "Name <address>"`)
			fs.StringVar(&in.PostalAddress, "address", "", "postal address shown in every message's footer")
			fs.StringVar(&in.ReplyTo, "reply-to", "", "Reply-To address")
			fs.StringVar(&in.DKIMDomain, "dkim-domain", "", "DKIM signing domain (d=)")
			fs.StringVar(&in.DKIMSelector, "dkim-selector", "", "DKIM selector (s=)")
			fs.StringVar(&keyFile, "dkim-key", "", "DKIM private key, a PEM file (RSA or Ed25519)")
			fs.StringVar(&in.Relay, "relay", "", `SMTP relay name ("default" or one of KIRJE_SMTP_RELAYS)`)
			fs.StringVar(&in.Tracking, "tracking", "", "tracking level: individual, aggregate or off")
			return func(ctx context.Context, e *env, args []string) error {
				if keyFile != "" {
					pem, err := readArgFile(e, keyFile)
					if err != nil {
						return err
					}
					in.DKIMKeyPEM = string(pem)
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				b, err := register.New(db).CreateBrand(ctx, in)
				if err != nil {
					return domainError(err)
				}
				if err := e.audit(ctx, db, access.ActionBrandCreate, fmt.Sprintf("brands/%d", b.ID), map[string]any{"name": b.Name}); err != nil {
					return err
				}
				if *asJSON {
					return printJSON(e.stdout, b)
				}
				fmt.Fprintf(e.stdout, "brand %d created: %s <%s>\n", b.ID, b.Name, b.FromAddress)
				return nil
			}
		},
	}
}

func brandsListCommand() *command {
	return &command{
		name:     "brands list",
		summary:  "list brands",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				brands, err := register.New(db).ListBrands(ctx)
				if err != nil {
					return err
				}
				return printList(e.stdout, *asJSON, brands, []string{"ID", "NAME", "FROM", "RELAY", "TRACKING", "DKIM"},
					func(b register.Brand) []string {
						dkim := "-"
						if b.HasDKIM() {
							dkim = b.DKIMSelector + "._domainkey." + b.DKIMDomain
						}
						return []string{fmt.Sprint(b.ID), b.Name, fmt.Sprintf("%s <%s>", b.FromName, b.FromAddress), b.Relay, b.Tracking, dkim}
					})
			}
		},
	}
}
