// Package feed serves the events table to other systems as an ordered, resumable feed: the
// pull side of engagement data (GET /api/v1/events, `kirje events tail`), and the reader that
// webhook deliveries and engagement rollups fold from.
//
// # Order and the safe horizon
//
// Events are ordered by (tx, id): the writing transaction's ID (events.tx, pg_current_xact_id())
// and the row ID. A page only ever holds events of transactions older than every transaction still
// running when the page is read (tx < pg_snapshot_xmin(pg_current_snapshot())). Such a
// transaction has ended; its rows are all visible or were rolled back, and no row can appear
// behind them later. So an event committed late by a slow transaction is served after the
// cursors handed out before its commit, never behind them: no gaps, no skips, no duplicates.
// The price is latency: one long-running writing transaction anywhere in the cluster holds the
// horizon back until it ends.
//
// A Cursor names the last event a reader has seen; it is opaque to clients (see Cursor.String).
//
// The feed is raw: machine opens and clicks are included, with their flag and signals. Counting
// humans is the consumers' business (package engagement, package report).
//
// This package reads; it never writes events, decides anything about them, or knows about
// authentication (the API edge mounts Handler behind the events:read permission).
package feed
