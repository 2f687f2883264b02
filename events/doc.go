// Package events owns Kirje's one append-only record of what happened to messages and addresses:
// sends, drops, bounces, opens, clicks, unsubscribes and suppression changes.
//
// Writers call Insert inside their own transaction (the worker marks a ledger row and records its
// "sent" event together), or hand opens and clicks to a Recorder, which acknowledges them once
// they are durable in a Redis stream and leaves the PostgreSQL write to an Ingester. Readers (the
// feed, rollups, reports) read the events table. This package never decides anything: it records.
package events
