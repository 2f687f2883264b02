package suppression

import (
	"strconv"

	"github.com/kirje/kirje/internal/emailaddr"
)

// Members of the mirror set. Each entry of the table maps to exactly one member, so SCARD of the
// set equals count(*) of the table when the two agree:
//
//	"a:"+hash           address, all marketing        (hash: the 32 raw bytes of Hash)
//	"a<brand>:"+hash    address, one brand
//	"d:"+domain         whole domain, all marketing
//	"d<brand>:"+domain  whole domain, one brand
//	"r:"+run_id         the ready marker: the set was built on the Redis process with this run_id
//
// Brand IDs are positive, so "a:" and "a7:" never collide. The marker is the one member that is
// not an entry, so SCARD is count(*) + 1 when the two agree.

func addressMember(hash []byte, brandID int64) string {
	return scoped('a', brandID) + string(hash)
}

func readyMember(runID string) string { return "r:" + runID }

func domainMember(domain string, brandID int64) string {
	return scoped('d', brandID) + domain
}

func scoped(kind byte, brandID int64) string {
	if brandID == 0 {
		return string(kind) + ":"
	}
	return string(kind) + strconv.FormatInt(brandID, 10) + ":"
}

// entryMember is the member of the set that stands for e.
func entryMember(e Entry) string {
	if e.Domain != "" {
		return domainMember(e.Domain, e.BrandID)
	}
	return addressMember(e.AddressHash, e.BrandID)
}

// checkScopes lists, in the order of precedence a Verdict reports, the scopes Check asks about.
var checkScopes = [4]string{ScopeAddress, ScopeDomain, ScopeBrandAddress, ScopeBrandDomain}

// checkMembers appends the members whose presence suppresses normalized for brandID: two for
// all-marketing scope, and two more when a brand is given.
func checkMembers(dst []string, brandID int64, normalized string) []string {
	h := Hash(normalized)
	domain := emailaddr.Domain(normalized)
	dst = append(dst, addressMember(h[:], 0), domainMember(domain, 0))
	if brandID != 0 {
		dst = append(dst, addressMember(h[:], brandID), domainMember(domain, brandID))
	}
	return dst
}

// checkMembersPer is how many members checkMembers adds per address.
func checkMembersPer(brandID int64) int {
	if brandID != 0 {
		return 4
	}
	return 2
}

// verdictOf turns SMISMEMBER answers for checkMembers' members into a Verdict.
func verdictOf(found []bool) Verdict {
	for i, ok := range found {
		if ok {
			return Verdict{Suppressed: true, Scope: checkScopes[i]}
		}
	}
	return Verdict{}
}
