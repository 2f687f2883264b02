package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/kirje/kirje/access"
	"strconv"
	"strings"

	"github.com/kirje/kirje/webhook"
)

// webhookPolicyFlags are the flags that loosen the endpoint policy for a command. The worker's
// deliveries follow its own configuration, not these.
type webhookPolicyFlags struct {
	allowPrivate      optionalBool
	allowLoopbackHTTP bool
}

// declareWebhookPolicy declares the policy flags on fs. A command that declares them reads the
// webhook-allow-private setting, the default of --allow-private.
func declareWebhookPolicy(fs *flag.FlagSet) *webhookPolicyFlags {
	f := &webhookPolicyFlags{}
	fs.Var(&f.allowPrivate, "allow-private", "allow endpoints on private, loopback and link-local addresses "+
		"(default: the webhook-allow-private setting, $KIRJE_WEBHOOK_ALLOW_PRIVATE, which the worker's deliveries follow)")
	fs.BoolVar(&f.allowLoopbackHTTP, "allow-loopback-http", false, "allow plain http:// to a loopback address (development)")
	return f
}

// policy is the endpoint policy of the flags, --allow-private defaulting to cfg's setting.
func (f *webhookPolicyFlags) policy(cfg Config) webhook.Policy {
	return webhook.Policy{AllowPrivate: f.allowPrivate.or(cfg.WebhookAllowPrivate), AllowLoopbackHTTP: f.allowLoopbackHTTP}
}

// webhookPolicySettings are the settings of a command with the policy flags.
func webhookPolicySettings() []string {
	return with(adminSettings(), []string{"webhook-allow-private"})
}

// optionalBool is a boolean flag that knows whether it was given, so that a setting can supply
// its default.
type optionalBool struct{ value, given bool }

func (b *optionalBool) String() string {
	if b == nil {
		return "false"
	}
	return strconv.FormatBool(b.value)
}

func (b *optionalBool) Set(v string) error {
	parsed, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("must be true or false")
	}
	b.value, b.given = parsed, true
	return nil
}

// IsBoolFlag lets the flag be given without a value.
func (b *optionalBool) IsBoolFlag() bool { return true }

// or is the flag's value if it was given, else def.
func (b *optionalBool) or(def bool) bool {
	if b.given {
		return b.value
	}
	return def
}

func (e *env) webhooks(ctx context.Context, p webhook.Policy) (*webhook.Dispatcher, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	return webhook.NewDispatcher(db, nil, webhook.Config{Policy: p, Logger: e.logger}), nil
}

// webhookError turns the package's refusals into usage errors (exit status 2).
func webhookError(err error) error {
	if errors.Is(err, webhook.ErrInvalid) || errors.Is(err, webhook.ErrNotFound) {
		return usageError{err.Error()}
	}
	return err
}

func webhookID(args []string) (int64, error) {
	if len(args) != 1 {
		return 0, usagef("give one webhook subscription ID")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("webhook ID %q is not a positive number", args[0])
	}
	return id, nil
}

func webhooksAddCommand() *command {
	return &command{
		name:     "webhooks add",
		args:     "URL",
		summary:  "subscribe an HTTPS endpoint to the event feed; prints its signing secret once",
		settings: webhookPolicySettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			types := fs.String("types", "", "event types to deliver, comma-separated (default: all)")
			desc := fs.String("description", "", "what the endpoint is, for the list")
			from := fs.String("from", "now", `where its feed starts: "now", "start" (everything stored) or a feed cursor`)
			asJSON := fs.Bool("json", false, "print the subscription and its secret as JSON")
			policy := declareWebhookPolicy(fs)
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one endpoint URL")
				}
				ts, err := webhook.ParseTypes(strings.Split(*types, ","))
				if err != nil {
					return usagef("--types: %v", err)
				}
				cursor, fromStart, err := webhook.ParseFrom(*from)
				if err != nil {
					return usagef("--from: %v", err)
				}
				d, err := e.webhooks(ctx, policy.policy(e.cfg))
				if err != nil {
					return err
				}
				c, err := d.Store().Add(ctx, webhook.Input{URL: args[0], Types: ts, Description: *desc,
					CreatedBy: e.actor(), From: cursor, FromStart: fromStart})
				if err != nil {
					return webhookError(err)
				}
				if err := e.auditWebhook(ctx, access.ActionWebhookCreate, c.ID); err != nil {
					return err
				}
				if *asJSON {
					return printJSON(e.stdout, c)
				}
				fmt.Fprintf(e.stdout, "webhook %d delivers %s to %s\n", c.ID, typeList(c.Subscription), c.URL)
				fmt.Fprintf(e.stdout, "signing secret (shown only now): %s\n", c.Secret)
				return nil
			}
		},
	}
}

func typeList(s webhook.Subscription) string {
	if len(s.Types) == 0 {
		return "all events"
	}
	names := make([]string, len(s.Types))
	for i, t := range s.Types {
		names[i] = string(t)
	}
	return strings.Join(names, ",")
}

func webhooksListCommand() *command {
	return &command{
		name:     "webhooks list",
		summary:  "list webhook subscriptions with their status and backlog",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				d, err := e.webhooks(ctx, webhook.Policy{})
				if err != nil {
					return err
				}
				subs, err := d.Store().List(ctx)
				if err != nil {
					return err
				}
				return printList(e.stdout, *asJSON, subs, []string{"ID", "STATUS", "URL", "TYPES", "PENDING", "PROBLEM"},
					func(s webhook.Subscription) []string {
						note := s.DisabledReason
						if note == "" {
							note = s.LastError
						}
						return []string{fmt.Sprint(s.ID), string(s.Status), s.URL, typeList(s), fmt.Sprint(s.Pending), note}
					})
			}
		},
	}
}
