// Package worker runs Kirje's background work on asynq: starting scheduled campaigns, sending
// their batches, and reconciling what the database says is still to do with what the queue holds.
//
// The send path for one batch: claim the batch's ledger rows (campaign), take per-domain and
// per-relay tokens (internal/ratelimit; what is not granted is deferred, not dropped, and holds
// no worker slot), then for each recipient check the suppression list immediately before the
// SMTP transaction, render (templates), send over a pooled connection (mailer), and hand the
// outcome to the ledger writer, which commits outcomes and their events in groups.
//
// Redis is not in the PostgreSQL transaction: tasks are enqueued after commit with deterministic
// IDs, and the reconciler re-enqueues what the ledger says is still pending. Whatever asynq
// delivers twice, the ledger's claim makes a message go at most once; only messages in flight
// when a process is killed (sent, outcome not yet committed: the writer gathers a group for up
// to groupLinger) can go twice.
//
// The worker must not decide suppression itself (that is suppression.Check) nor know HTTP.
package worker
