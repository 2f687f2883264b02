package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/worker"
)

// queueSettings are what commands that enqueue work read.
func queueSettings() []string {
	return with(adminSettings(), []string{"redis-url", "namespace"})
}

func campaignsCreateCommand() *command {
	return &command{
		name:     "campaigns create",
		summary:  "create a campaign (a draft, or scheduled with --at); prints its ID",
		settings: queueSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			brand := fs.String("brand", "", "brand name or ID")
			name := fs.String("name", "", "campaign name")
			subject := fs.String("subject", "", "subject template")
			htmlFile := fs.String("html", "", "HTML body template file")
			textFile := fs.String("text", "", "text body template file (default: derived from the HTML)")
			layout := fs.String("layout", "default", "layout: default (brand footer) or none (the body carries its own unsubscribe link)")
			filter := fs.String("filter", "{}", "segment filter JSON")
			at := fs.String("at", "", "schedule at this RFC 3339 time (default: stay a draft)")
			asJSON := fs.Bool("json", false, "print the campaign as JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if *htmlFile == "" {
					return usagef("--html is required")
				}
				html, err := readArgFile(e, *htmlFile)
				if err != nil {
					return err
				}
				var text []byte
				if *textFile != "" {
					if text, err = readArgFile(e, *textFile); err != nil {
						return err
					}
				}
				f, err := campaign.ParseFilter([]byte(*filter))
				if err != nil {
					return domainError(err)
				}
				var when time.Time
				if *at != "" {
					if when, err = time.Parse(time.RFC3339, *at); err != nil {
						return usagef("--at: %v", err)
					}
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				b, err := findBrand(ctx, register.New(db), *brand)
				if err != nil {
					return err
				}
				c, err := campaign.New(db).Create(ctx, campaign.Input{BrandID: b.ID, Name: *name, Subject: *subject,
					HTML: string(html), Text: string(text), Layout: *layout, Segment: f, CreatedBy: e.actor()})
				if err != nil {
					return domainError(err)
				}
				if err := e.audit(ctx, db, access.ActionCampaignCreate, campaignTarget(c.ID), map[string]any{"name": c.Name}); err != nil {
					return err
				}
				if !when.IsZero() {
					if c, err = scheduleCampaign(ctx, e, c.ID, when); err != nil {
						return err
					}
				}
				if *asJSON {
					return printJSON(e.stdout, c)
				}
				fmt.Fprintln(e.stdout, c.ID)
				return nil
			}
		},
	}
}

func findBrand(ctx context.Context, reg *register.Store, nameOrID string) (register.Brand, error) {
	if nameOrID == "" {
		return register.Brand{}, usagef("--brand is required")
	}
	if id, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		b, err := reg.Brand(ctx, id)
		return b, domainError(err)
	}
	b, err := reg.BrandByName(ctx, nameOrID)
	return b, domainError(err)
}

func campaignID(args []string) (int64, error) {
	if len(args) != 1 {
		return 0, usagef("give one campaign ID")
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("campaign ID %q is not a positive number", args[0])
	}
	return id, nil
}

// scheduleCampaign schedules and enqueues the start. The database change comes first; a failed
// enqueue is reported, and the worker's reconciler enqueues it later anyway.
func scheduleCampaign(ctx context.Context, e *env, id int64, at time.Time) (campaign.Campaign, error) {
	db, err := e.db(ctx)
	if err != nil {
		return campaign.Campaign{}, err
	}
	c, err := campaign.New(db).Schedule(ctx, id, at)
	if err != nil {
		return c, domainError(err)
	}
	if err := e.audit(ctx, db, access.ActionCampaignSchedule, campaignTarget(id), map[string]any{"at": at.UTC()}); err != nil {
		return c, err
	}
	sched, err := e.scheduler(ctx)
	if err == nil {
		err = sched.Scheduled(ctx, c)
	}
	if err != nil {
		e.logger.Warn("campaign scheduled, but its start could not be enqueued now; the worker's reconciler will", "campaign_id", id, "err", err)
	}
	return c, nil
}

func (e *env) scheduler(ctx context.Context) (*worker.Scheduler, error) {
	if e.cfg.RedisURL == "" {
		return nil, fmt.Errorf("KIRJE_REDIS_URL is not set")
	}
	db, err := e.db(ctx)
	if err != nil {
		return nil, err
	}
	rdb, err := e.redis(ctx)
	if err != nil {
		return nil, err
	}
	s := worker.NewScheduler(db, rdb, e.cfg.Namespace)
	e.onClose(func() { _ = s.Close() })
	return s, nil
}

func campaignsScheduleCommand() *command {
	return &command{
		name:     "campaigns schedule",
		args:     "ID",
		summary:  "schedule a campaign at --at (now when not given)",
		settings: queueSettings(),
		required: []string{"database-url", "redis-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			at := fs.String("at", "", "RFC 3339 time (default: now)")
			asJSON := fs.Bool("json", false, "print the campaign as JSON")
			return func(ctx context.Context, e *env, args []string) error {
				id, err := campaignID(args)
				if err != nil {
					return err
				}
				when := time.Now()
				if *at != "" {
					if when, err = time.Parse(time.RFC3339, *at); err != nil {
						return usagef("--at: %v", err)
					}
				}
				c, err := scheduleCampaign(ctx, e, id, when)
				if err != nil {
					return err
				}
				return printCampaignChange(e, c, *asJSON)
			}
		},
	}
}

// campaignTransition is pause, resume and cancel.
func campaignTransition(name, summary, action string, op func(*campaign.Store, context.Context, int64) (campaign.Campaign, error), resume bool) *command {
	return &command{
		name:     "campaigns " + name,
		args:     "ID",
		summary:  summary,
		settings: queueSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print the campaign as JSON")
			return func(ctx context.Context, e *env, args []string) error {
				id, err := campaignID(args)
				if err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				c, err := op(campaign.New(db), ctx, id)
				if err != nil {
					return domainError(err)
				}
				if err := e.audit(ctx, db, action, campaignTarget(id), nil); err != nil {
					return err
				}
				if resume {
					sched, err := e.scheduler(ctx)
					if err == nil {
						err = sched.Resumed(ctx, c)
					}
					if err != nil {
						e.logger.Warn("campaign resumed, but its batches could not be enqueued now; the worker's reconciler will", "campaign_id", id, "err", err)
					}
				}
				return printCampaignChange(e, c, *asJSON)
			}
		},
	}
}

func printCampaignChange(e *env, c campaign.Campaign, asJSON bool) error {
	if asJSON {
		return printJSON(e.stdout, c)
	}
	when := ""
	if c.Status == campaign.StatusScheduled {
		when = " for " + fmtTime(c.ScheduledAt)
	}
	fmt.Fprintf(e.stdout, "campaign %d is %s%s\n", c.ID, c.Status, when)
	return nil
}

func campaignsShowCommand() *command {
	return &command{
		name:     "campaigns show",
		args:     "ID",
		summary:  "show a campaign's status and counts",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print JSON (status and counts: audience, sent, dropped, failed, pending)")
			return func(ctx context.Context, e *env, args []string) error {
				id, err := campaignID(args)
				if err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				c, err := campaign.New(db).Get(ctx, id)
				if err != nil {
					return domainError(err)
				}
				counts, err := campaign.LedgerCounts(ctx, db, id)
				if err != nil {
					return err
				}
				estimate, err := campaign.Estimate(ctx, db, c)
				if err != nil {
					return err
				}
				if asJSON := *asJSON; asJSON {
					return printJSON(e.stdout, campaignShow{Campaign: c, Counts: counts, Estimate: estimate})
				}
				w := e.stdout
				fmt.Fprintf(w, "campaign %d  %s\n", c.ID, c.Name)
				fmt.Fprintf(w, "  status:     %s\n  subject:    %s\n  scheduled:  %s\n  started:    %s\n  finished:   %s\n",
					c.Status, c.Subject, fmtTime(c.ScheduledAt), fmtTime(c.StartedAt), fmtTime(c.FinishedAt))
				fmt.Fprintf(w, "  audience %d: sent %d, dropped %d, bounced %d, failed %d, pending %d\n",
					counts.Audience, counts.Sent, counts.Dropped, counts.Bounced, counts.Failed, counts.Pending+counts.Sending)
				if estimate != nil {
					fmt.Fprintf(w, "  if it started now: %d contacts match; %d may receive marketing\n",
						estimate.Matching, estimate.Mailable)
				}
				return nil
			}
		},
	}
}

func campaignTarget(id int64) string { return fmt.Sprintf("campaigns/%d", id) }

// campaignShow is `campaigns show --json`: the campaign, its ledger counts and, until it starts,
// the audience it would have.
type campaignShow struct {
	campaign.Campaign
	Counts   campaign.Counts         `json:"counts"`
	Estimate *campaign.PreviewCounts `json:"estimate,omitempty"`
}

func campaignsListCommand() *command {
	return &command{
		name:     "campaigns list",
		summary:  "list campaigns, newest first",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print JSON")
			limit := fs.Int("limit", 50, "how many (at most 500)")
			return func(ctx context.Context, e *env, args []string) error {
				if err := checkLimit(*limit, 500); err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				cs, err := campaign.New(db).List(ctx, campaign.ListOptions{Limit: *limit})
				if err != nil {
					return err
				}
				return printList(e.stdout, *asJSON, cs, []string{"ID", "NAME", "STATUS", "SCHEDULED", "FINISHED"},
					func(c campaign.Campaign) []string {
						return []string{fmt.Sprint(c.ID), c.Name, string(c.Status), fmtTime(c.ScheduledAt), fmtTime(c.FinishedAt)}
					})
			}
		},
	}
}

func campaignsTestCommand() *command {
	return &command{
		name:     "campaigns test",
		args:     "ID --to ADDR [--to ADDR…]",
		summary:  "send a campaign's message to test addresses (not recorded as campaign sends)",
		settings: with(adminSettings(), []string{"redis-url", "namespace", "public-url", "secret", "secret-id", "old-secrets", "smtp-url", "smtp-relays", "mail-domain"}),
		required: []string{"database-url", "redis-url", "public-url", "secret", "smtp-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			var to multiFlag
			fs.Var(&to, "to", "recipient address (repeatable)")
			asJSON := fs.Bool("json", false, `print what was sent as JSON: {"campaign_id", "sent", "to"}`)
			return func(ctx context.Context, e *env, args []string) error {
				id, err := campaignID(args)
				if err != nil {
					return err
				}
				if len(to) == 0 {
					return usagef("give at least one --to address")
				}
				app, err := openApp(ctx, e.cfg, e.logger, true)
				if err != nil {
					return err
				}
				defer app.Close()
				t := worker.NewTester(app.db, app.relays, app.links, app.mailDomain())
				if err := t.SendTest(ctx, id, to); err != nil {
					return domainError(err)
				}
				if err := e.audit(ctx, app.db, access.ActionCampaignTest, campaignTarget(id), map[string]any{"recipients": len(to)}); err != nil {
					return err
				}
				if *asJSON {
					return printJSON(e.stdout, testSent{CampaignID: id, Sent: len(to), To: to})
				}
				fmt.Fprintf(e.stdout, "sent %d test message(s)\n", len(to))
				return nil
			}
		},
	}
}

// testSent is `campaigns test --json`: the campaign and the addresses its test message went to.
type testSent struct {
	CampaignID int64    `json:"campaign_id"`
	Sent       int      `json:"sent"`
	To         []string `json:"to"`
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
