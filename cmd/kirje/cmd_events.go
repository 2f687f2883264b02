package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"time"

	"github.com/kirje/kirje/feed"
)

func eventsTailCommand() *command {
	return &command{
		name:     "events tail",
		summary:  "print the event feed as NDJSON, oldest first, from a cursor (each line carries its own)",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			after := fs.String("after", "", "resume after this cursor (default: the beginning of the feed)")
			types := fs.String("types", "", "only these event types, comma-separated (e.g. open,click,unsubscribe)")
			limit := fs.Int("limit", 0, "stop after this many events (0: all there are)")
			follow := fs.Bool("follow", false, "keep waiting for new events (Ctrl-C stops)")
			poll := fs.Duration("poll", time.Second, "with --follow, how often to look for new events")
			return func(ctx context.Context, e *env, args []string) error {
				q, err := tailQuery(*after, *types, *limit)
				if err != nil {
					return err
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				out := bufio.NewWriterSize(e.stdout, 64<<10)
				defer out.Flush()
				line := make([]byte, 0, 1024)
				printed := 0
				for {
					q.After, err = feed.Each(ctx, db, q, func(ev *feed.Event) error {
						line = append(ev.AppendJSON(line[:0]), '\n')
						printed++
						_, err := out.Write(line)
						return err
					})
					if err == nil {
						err = out.Flush()
					}
					if err != nil || !*follow || (q.Limit > 0 && printed >= *limit) {
						return ignoreCancel(ctx, err)
					}
					if q.Limit > 0 {
						q.Limit = *limit - printed
					}
					select {
					case <-ctx.Done():
						return nil
					case <-time.After(*poll):
					}
				}
			}
		},
	}
}

func tailQuery(after, types string, limit int) (feed.Query, error) {
	c, err := feed.ParseCursor(after)
	if err != nil {
		return feed.Query{}, usagef("--after: not a cursor this feed handed out")
	}
	ts, err := feed.ParseTypes(types)
	if err != nil {
		return feed.Query{}, usagef("--types: %v", err)
	}
	if limit < 0 {
		return feed.Query{}, usagef("--limit must not be negative")
	}
	return feed.Query{After: c, Types: ts, Limit: limit}, nil
}

// ignoreCancel treats the end of a followed stream by Ctrl-C as success.
func ignoreCancel(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}
