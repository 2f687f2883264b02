package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kirje/kirje/inbound"
)

func inboundProcessCommand() *command {
	return &command{
		name:     "inbound process",
		args:     "FILE.eml…",
		summary:  "run saved bounces, complaints and unsubscribe mails through the inbound pipeline; print each verdict",
		settings: inboundSettings(),
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print the results as JSON")
			dryRun := fs.Bool("dry-run", false, "classify and match only; change nothing (needs no Redis; without a database or secret it matches less)")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) == 0 {
					return usagef("give one or more message files (- for standard input)")
				}
				if !*dryRun {
					for _, req := range []struct {
						name    string
						missing bool
					}{{"database-url", e.cfg.DatabaseURL == ""}, {"redis-url", e.cfg.RedisURL == ""}, {"secret", e.cfg.Secret == ""}} {
						if st, _ := lookupSetting(req.name); req.missing {
							return usagef("missing required setting %s (or --%s); --dry-run needs none", st.env(), req.name)
						}
					}
				}
				p, err := e.inboundProcessor(ctx, !*dryRun)
				if err != nil {
					return err
				}
				return processFiles(ctx, e, p, args, *asJSON, *dryRun)
			}
		},
	}
}

// fileResult is one file's line in --json output.
type fileResult struct {
	File   string          `json:"file"`
	Result *inbound.Result `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

func processFiles(ctx context.Context, e *env, p *inbound.Processor, files []string, asJSON, dryRun bool) error {
	var results []fileResult
	failed := 0
	for _, name := range files {
		fr := fileResult{File: name}
		raw, err := readArgFile(e, name)
		if err == nil {
			var res inbound.Result
			envl := inbound.Envelope{Source: "file"}
			if dryRun {
				res, err = p.Classify(ctx, envl, raw)
			} else {
				res, err = p.Process(ctx, envl, raw)
			}
			fr.Result = &res
		}
		if err != nil {
			fr.Error, fr.Result = err.Error(), nil
			failed++
		}
		results = append(results, fr)
	}
	if asJSON {
		if err := printJSON(e.stdout, results); err != nil {
			return err
		}
	} else {
		printProcessTable(e, results)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files not processed", failed, len(files))
	}
	return nil
}

func printProcessTable(e *env, results []fileResult) {
	var rows [][]string
	for _, fr := range results {
		file := filepath.Base(fr.File)
		if fr.Result == nil {
			rows = append(rows, []string{file, "-", "error", "", "", "", "", fr.Error})
			continue
		}
		for _, o := range fr.Result.Outcomes {
			effect := o.Effect
			switch {
			case fr.Result.Quarantined != "":
				effect = strings.TrimSpace(effect + " (quarantined: " + fr.Result.Quarantined + ")")
			case fr.Result.Malformed != "":
				effect = strings.TrimSpace(effect + " (malformed)")
			}
			rows = append(rows, []string{file, dash(o.Recipient), string(o.Verdict), dash(o.Status), dash(o.Match),
				idOrDash(o.CampaignID), idOrDash(o.ContactID), dash(effect)})
		}
	}
	table(e.stdout, []string{"FILE", "RECIPIENT", "VERDICT", "STATUS", "MATCH", "CAMPAIGN", "CONTACT", "EFFECT"}, rows)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func idOrDash(id int64) string {
	if id == 0 {
		return "-"
	}
	return strconv.FormatInt(id, 10)
}
