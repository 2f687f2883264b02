// Package suppression owns the suppression list: the one place that decides whether a marketing
// message may go to an address. It normalises and hashes addresses, adds and removes entries,
// imports and exports them, and answers the send-time Check from a Redis mirror.
//
// It must not decide anything else (bans and consents are the register's), must not send, and
// must never answer "not suppressed" when it does not know: Check fails closed.
//
// # Entries
//
// PostgreSQL (table suppressions) is the source of truth. An entry is an address, kept as the
// unkeyed SHA-256 of its normalised form (see Hash) and optionally in plain text, or a whole
// domain (exact match: "example.com" does not cover "sales.example.com"), for all marketing
// (BrandID 0) or for one brand. Erasure and hash-only imports keep only the hash.
//
// # The mirror
//
// One Redis set holds one member per entry (see members.go), plus a ready marker member
// "r:<run_id>" naming the Redis process the set was built on. Check asks about an address in
// every scope and about the marker of the process it believes it talks to in one SMISMEMBER,
// which concurrent Checks share (check.go: combiner): a Check waits at most for the lookup in
// flight and then its own, and is always answered from a lookup sent after it began. The List's Redis client reads run_id (INFO server) in an
// OnConnect hook on every new connection; a command that reaches a restarted server does so on a
// new connection, so if the recorded run_id changed while the command ran, the answer came from
// another process and is not trusted. A marker that is missing or names another run_id means the
// set was never built, was flushed or evicted (the marker goes with it), or Redis restarted,
// perhaps restoring an older snapshot: Check fails closed with ErrUnavailable and wakes Run.
//
// The marker lives inside the set rather than in a key of its own so that it cannot outlive the
// set (an evicted or deleted set is never read as an empty list), and so that Check is a single
// command instead of a pipeline, measured to cost noticeably less. SCARD is therefore count(*)+1.
//
// # Writes, and why none is lost
//
// Add inserts with the caller's transaction and writes the mirror before returning, so before
// the commit: when the commit succeeds the mirror already has the entry; when the mirror write
// fails the caller rolls back; when the commit fails after the mirror write, the mirror
// over-suppresses until Verify corrects it. Remove goes the other way: PostgreSQL commits first,
// then the mirror forgets. Every failure leaves over-suppression, never under-suppression.
//
// Rebuild builds a temporary set from a snapshot of the table and renames it over the live one.
// A write that lands in the live set during the rebuild would be lost by that rename, and
// re-reading "recent" rows afterwards would not be enough: an Add whose transaction started
// before the rebuild can commit after any re-read, and between the rename and a re-read a Check
// would miss an unsubscribe that was already confirmed. Instead:
//
//  1. The rebuild takes a Redis lock (SET NX PX) whose value names its temporary set. Every
//     mirror write is one Lua script that applies to the live set and, while the lock exists, to
//     the set it names. So every write after this moment reaches the new set.
//  2. Writers hold a PostgreSQL advisory lock shared from before their mirror write until their
//     transaction ends (barrier.go). The rebuild takes it exclusively for an instant after step 1,
//     which waits out every writer that wrote before step 1: their rows are committed (or rolled
//     back) before the snapshot of step 3 is taken.
//  3. The rows are streamed (one query, bounded memory) into the temporary set in chunks; each
//     chunk also renews the lock.
//  4. One script adds the marker for the run_id to the temporary set, renames it over the live
//     one and releases the lock, atomically.
//
// A rebuild whose lock expired (a paused process) or whose Redis restarted meanwhile fails and
// leaves no marker or a stale one, so Check keeps failing closed until a rebuild succeeds.
//
// Verify compares count(*) with SCARD less the marker. They can differ for a moment while an Add is between its
// mirror write and its commit, so a difference is confirmed under the exclusive barrier before it
// rebuilds. Run, in the worker, calls Verify at start, every VerifyInterval, and as soon as a
// Check saw an unready mirror (signalled on a channel, not by polling Redis); Verify rebuilds an
// unready mirror through EnsureReady.
//
// Redis should not evict: run it with maxmemory-policy noeviction (asynq needs that too;
// Rebuild logs a warning otherwise). An evicted mirror fails closed until rebuilt, which stops
// sending. The mirror needs one Redis, not Cluster (its scripts reach the rebuild's temporary key
// by name, which Cluster does not allow), reached at one address: for failover, an address that
// always leads to the current primary.
package suppression
