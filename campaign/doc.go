// Package campaign owns campaigns, their segments and the send ledger.
//
// # Segments
//
// A segment is a Filter: a small JSON language ({"all": [...]}, {"any": [...]}, {"not": {...}}
// and leaves {"field": F, "op": OP, "value": V}) over contact columns, company columns
// ("company.name") and free attributes ("attributes.KEY"). ParseFilter validates untrusted JSON;
// Filter.Where compiles to a parameterised SQL expression over
// `contacts c LEFT JOIN companies co ON co.id = c.company_id`: values are only ever parameters.
// Fields are a table in fields.go; new kinds of field add a type there. Engagement fields
// ("engagement.last_click_at", "engagement.opens_90d", "engagement.score"…) read the rollups
// package engagement keeps, through (NOT) EXISTS over the contact's contact_engagement row: a
// contact without one has never been sent to, opened or clicked, and counts and score 0. Time
// values are RFC 3339 or relative to when the segment runs ("-90d"; units m, h, d, w), so
// "clicked in the last 90 days" is {"field": "engagement.last_click_at", "op": "gt", "value":
// "-90d"} and "never opened" is {"field": "engagement.last_open_at", "op": "exists", "value": false}.
//
// # Campaigns
//
// Store keeps campaigns and their tracked links (the only URLs a click may redirect to). Create
// refuses a campaign whose templates do not compile, do not render for a sample recipient or have
// no unsubscribe link. Status changes are single conditional UPDATEs, so concurrent callers cannot
// both win:
//
//	draft ─Schedule→ scheduled ─MarkRunning→ running ─MarkDone→ done
//	scheduled ─Schedule→ scheduled (new time, new ScheduleVersion)
//	scheduled|running ─Pause→ paused ─Resume→ running (had started) | scheduled (had not)
//	paused (never started) ─Schedule→ scheduled
//	any but done|cancelled ─Cancel→ cancelled
//
// # The send ledger and "never twice"
//
// send_ledger has one row per (campaign, contact), its primary key. Materialize writes the whole
// audience in one INSERT … SELECT when the campaign starts; the audience is then frozen. Contacts
// the register does not allow marketing to go in as dropped in DroppedBatch (-1), which no batch
// claims; the others are pending in batches 0..n-1 of contact-ID order. A row moves:
//
//	pending ─Claim→ sending ─Record→ sent | dropped | bounced | failed   (final)
//	sending ─Record(pending, not_before)→ pending                     (deferral, 4xx retry)
//	sending ─Release→ pending                                         (handed back unsent)
//	sending, lease expired ─Claim→ sending                            (its worker died)
//
// Why a message goes at most once, except what was in flight: a message is only sent for a row
// the sender holds in 'sending' under a lease. Claim hands a row to one claimer at a time (row
// locks with SKIP LOCKED, and the status re-check after a concurrent claim commits). Record only
// changes rows still 'sending' and never moves a final row back, so a repeated task, a late
// Record or a re-enqueued batch finds nothing left to send. The only row that can be sent twice
// is one whose sender died (or stalled past its lease) after handing the message to the relay and
// before Record committed: the lease expires and the row is claimed again. Nothing is lost either:
// a row leaves the open states only through Record, so a dead worker's rows return through lease
// expiry, and OpenBatches tells the reconciler which batches still need a task.
//
// This package must not send mail, render messages, check the suppression list or enqueue tasks:
// the worker does, using these primitives. It reads the register's tables but never writes them.
package campaign
