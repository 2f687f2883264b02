// Package engagement keeps per-contact engagement rollups: when a contact was last sent to, last
// opened and clicked (as a human), last unsubscribed; how many sends, opens and clicks in the last
// 30 and 90 days; and a recency-weighted score. Segment filters read them (engagement.* fields in
// package campaign) and the API shows them (Handler).
//
// # Folding
//
// A Folder reads the event feed (package feed's order and safe horizon) from its own cursor in
// feed_cursors and folds each batch into contact_engagement and contact_engagement_days in one
// transaction with the cursor, in set-based SQL: a batch is folded exactly once, a crash loses
// nothing, and a second folder waits on the cursor's row lock. Machine opens and clicks are not
// counted. Events of contacts that no longer exist (erased) are passed over.
//
// # Windows that stay right as time passes
//
// Daily counts per contact live in contact_engagement_days. The 30- and 90-day counts in
// contact_engagement are sums over them as of a UTC day (windows_day). A batch adds its events to
// the counts of rows already as of today, and gives new and parked rows their counts outright;
// rows of an earlier day that it touches are marked stale and recomputed right after it, and every
// run also recomputes the rows whose day has passed (a daily sweep through an index on
// windows_day). Rows whose counts are all zero are parked ('infinity') until new events touch
// them, so the sweep only visits recently active contacts. Day buckets older than 90 days are pruned as rows are recomputed. So stored counts
// are exact as of the last run (the worker runs one a minute); Get computes them from the day
// buckets at read time.
//
// # Score
//
//	score(t) = Σ over human opens and clicks i of  w_i × 0.5^((t − t_i) / 30 days)
//	w = 1 for an open, 3 for a click
//
// A contact who opened and clicked one message today scores 4; the same a month ago, 2; a
// weekly clicker settles near 3 / (1 − 0.5^(7/30)) ≈ 20. Every event counts (re-opens too).
// Because every term decays at the same rate, the stored score is kept as of score_at and the
// SQL function engagement_score(score, score_at, t) (migration 00006, the one definition of the
// half-life) decays it to any time: folding adds the new terms after decaying the old sum, and
// readers and segment filters decay to now.
//
// This package reads events and writes only its own tables; it must not change the register or
// decide who may be mailed (segments do, with these numbers).
package engagement
