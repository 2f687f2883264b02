package suppression

// CombinerJoined is how many Checks have joined a shared lookup of l's so far.
func CombinerJoined(l *List) uint64 {
	l.combine.mu.Lock()
	defer l.combine.mu.Unlock()
	return l.combine.joined
}
