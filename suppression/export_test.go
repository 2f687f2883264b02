package suppression

// CombinerJoined is how many Checks have joined a shared lookup of l's so far.
func CombinerJoined(l *List) uint64 {
	l.combine.mu.Lock()
	defer l.combine.mu.Unlock()
	return l.combine.joined
}

// MirrorMember is the mirror's member for address in brandID's scope (0: all marketing).
func MirrorMember(address string, brandID int64) string {
	n, err := Normalize(address)
	if err != nil {
		panic(err)
	}
	h := Hash(n)
	return addressMember(h[:], brandID)
}
