package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/kirje/kirje/access"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/kirje/kirje/report"
)

func campaignsReportCommand() *command {
	return &command{
		name:     "campaigns report",
		args:     "ID",
		summary:  "how a campaign did: sends, drops, bounces, human opens and clicks, links, hours",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print the report as JSON")
			machine := fs.Bool("include-machine", false, "count machine opens and clicks (privacy proxies, link scanners) as human")
			csvFile := fs.String("csv", "", `write the per-recipient outcomes as CSV to this file ("-": standard output) instead`)
			return func(ctx context.Context, e *env, args []string) error {
				id, err := campaignID(args)
				if err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				opts := report.Options{IncludeMachine: *machine}
				if *csvFile != "" {
					// Per-recipient outcomes are personal data: the export is audited first.
					if err := e.audit(ctx, db, access.ActionReportExport, campaignTarget(id), nil); err != nil {
						return err
					}
					return writeRecipients(ctx, e, *csvFile, func(w io.Writer) error {
						return reportError(report.WriteRecipientsCSV(ctx, db, id, opts, w))
					})
				}
				r, err := report.Campaign(ctx, db, id, opts, time.Now())
				if err != nil {
					return reportError(err)
				}
				if *asJSON {
					return printJSON(e.stdout, r)
				}
				printReport(e.stdout, r)
				return nil
			}
		},
	}
}

func writeRecipients(ctx context.Context, e *env, name string, write func(io.Writer) error) error {
	if name == "-" {
		return write(e.stdout)
	}
	f, err := os.Create(name)
	if err != nil {
		return usagef("--csv: %v", err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

func reportError(err error) error {
	if err != nil && errors.Is(err, report.ErrNotFound) {
		return usageError{err.Error()}
	}
	return err
}

func printReport(w io.Writer, r report.Report) {
	who := "humans only"
	if r.IncludeMachine {
		who = "machines included"
	}
	fmt.Fprintf(w, "campaign %d  %s  (%s; opens and clicks: %s)\n\n", r.CampaignID, r.Name, r.Status, who)
	pct := func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
	table(w, []string{"AUDIENCE", "SENT", "DROPPED", "BOUNCED", "FAILED", "PENDING"}, [][]string{{
		fmt.Sprint(r.Audience), fmt.Sprint(r.Sent), fmt.Sprint(r.Dropped), fmt.Sprint(r.Bounced),
		fmt.Sprint(r.Failed), fmt.Sprint(r.Pending)}})
	for _, reason := range slices.Sorted(maps.Keys(r.DroppedBy)) {
		fmt.Fprintf(w, "  dropped %s: %d\n", reason, r.DroppedBy[reason])
	}
	fmt.Fprintln(w)
	table(w, []string{"UNIQUE OPENS", "OPEN RATE", "UNIQUE CLICKS", "CLICK RATE", "CLICK-TO-OPEN", "MACHINE OPENS", "MACHINE CLICKS", "UNSUBSCRIBES", "COMPLAINTS"},
		[][]string{{fmt.Sprint(r.UniqueOpens), pct(r.OpenRate), fmt.Sprint(r.UniqueClicks), pct(r.ClickRate),
			pct(r.ClickToOpen), fmt.Sprint(r.MachineOpens), fmt.Sprint(r.MachineClicks), fmt.Sprint(r.Unsubscribes),
			fmt.Sprint(r.Complaints)}})
	fmt.Fprintln(w)
	var links [][]string
	for _, l := range r.Links {
		url := l.URL
		if l.Honeypot {
			url += " (honeypot)"
		}
		links = append(links, []string{fmt.Sprint(l.ID), url, fmt.Sprint(l.UniqueClicks), fmt.Sprint(l.Clicks), fmt.Sprint(l.MachineClicks)})
	}
	table(w, []string{"LINK", "URL", "UNIQUE CLICKS", "CLICKS", "MACHINE CLICKS"}, links)
	fmt.Fprintln(w)
	var hours [][]string
	for _, h := range r.Timeline {
		hours = append(hours, []string{h.Hour.Local().Format("2006-01-02 15:00"), fmt.Sprint(h.Sent), fmt.Sprint(h.Opens),
			fmt.Sprint(h.Clicks), fmt.Sprint(h.Unsubscribes), fmt.Sprint(h.Bounces)})
	}
	table(w, []string{"HOUR", "SENT", "OPENS", "CLICKS", "UNSUBSCRIBES", "BOUNCES"}, hours)
}
