package suppression

import "sync/atomic"

// Stats are counters since the List was made, for metrics.
type Stats struct {
	Checks          uint64 // calls of Check and CheckMany
	Lookups         uint64 // SMISMEMBER round trips they made (concurrent Checks share one)
	Suppressed      uint64 // Check verdicts that suppressed
	Unavailable     uint64 // lookups that failed closed (a failed lookup fails every Check that shared it)
	Rebuilds        uint64 // completed mirror rebuilds by this List
	RebuildFailures uint64 // rebuilds that failed (not counting "in progress elsewhere")
	Verifications   uint64 // Verify calls that finished (by Run or directly), whatever they found
}

type counters struct {
	checks, lookups, suppressed, unavailable, rebuilds, rebuildFailures, verifications atomic.Uint64
}

// Stats returns the List's counters.
func (l *List) Stats() Stats {
	return Stats{
		Checks:          l.stats.checks.Load(),
		Lookups:         l.stats.lookups.Load(),
		Suppressed:      l.stats.suppressed.Load(),
		Unavailable:     l.stats.unavailable.Load(),
		Rebuilds:        l.stats.rebuilds.Load(),
		RebuildFailures: l.stats.rebuildFailures.Load(),
		Verifications:   l.stats.verifications.Load(),
	}
}
