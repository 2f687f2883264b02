// Package report answers how a campaign did: the ledger's outcome (audience, sent, dropped and
// why, bounced, failed), engagement (unique human opens and clicks, machine opens and clicks,
// click-to-open rate, unsubscribes, complaints), clicks per tracked link, an hourly timeline, and
// a per-recipient CSV export.
//
// Opens and clicks flagged as machine (Apple Mail Privacy Protection, link scanners…; see package
// tracking) are left out of the human counts unless Options.IncludeMachine is set; machine counts
// are always reported beside them. Rates are fractions of Sent (opens, clicks) and of unique
// opens (click-to-open); clicks without a recorded open (images blocked) can make the latter
// exceed 1.
//
// Figures are computed from send_ledger and events when asked, in a few set-based statements
// over the campaign's rows (events_campaign_idx): exact at that moment, never cached. This
// package only reads.
package report
