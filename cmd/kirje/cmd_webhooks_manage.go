package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/kirje/kirje/access"
	"time"

	"github.com/kirje/kirje/webhook"
)

func webhooksTestCommand() *command {
	return &command{
		name:     "webhooks test",
		args:     "ID",
		summary:  "send a signed test message to a webhook endpoint and show the answer",
		settings: webhookPolicySettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			policy := declareWebhookPolicy(fs)
			return func(ctx context.Context, e *env, args []string) error {
				id, err := webhookID(args)
				if err != nil {
					return err
				}
				d, err := e.webhooks(ctx, policy.policy(e.cfg))
				if err != nil {
					return err
				}
				a, err := d.Test(ctx, id)
				if err != nil {
					return webhookError(err)
				}
				if err := e.auditWebhook(ctx, access.ActionWebhookTest, id); err != nil {
					return err
				}
				if !a.OK() {
					return fmt.Errorf("the endpoint did not accept the test message: %s", a.Error)
				}
				fmt.Fprintf(e.stdout, "HTTP %d in %s\n", a.Status, a.Duration.Round(time.Millisecond))
				return nil
			}
		},
	}
}

func webhooksRemoveCommand() *command {
	return &command{
		name:     "webhooks remove",
		args:     "ID",
		summary:  "delete a webhook subscription and its undelivered deliveries",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				id, err := webhookID(args)
				if err != nil {
					return err
				}
				d, err := e.webhooks(ctx, webhook.Policy{})
				if err != nil {
					return err
				}
				if err := d.Store().Remove(ctx, id); err != nil {
					return webhookError(err)
				}
				if err := e.auditWebhook(ctx, access.ActionWebhookRemove, id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "webhook %d removed\n", id)
				return nil
			}
		},
	}
}

func webhooksEnableCommand() *command {
	return &command{
		name:     "webhooks enable",
		args:     "ID",
		summary:  "resume a disabled webhook subscription where it stopped",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				id, err := webhookID(args)
				if err != nil {
					return err
				}
				d, err := e.webhooks(ctx, webhook.Policy{})
				if err != nil {
					return err
				}
				s, err := d.Store().Enable(ctx, id)
				if errors.Is(err, webhook.ErrNotFound) {
					return webhookError(err)
				}
				if err != nil {
					return err
				}
				if err := e.auditWebhook(ctx, access.ActionWebhookEnable, id); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "webhook %d is %s; %d pending deliveries go out with the worker's next pump\n", s.ID, s.Status, s.Pending)
				return nil
			}
		},
	}
}

// auditWebhook records a webhook subscription change made from the CLI.
func (e *env) auditWebhook(ctx context.Context, action string, id int64) error {
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	return e.audit(ctx, db, action, fmt.Sprintf("webhooks/%d", id), nil)
}
