package suppression

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Input describes an entry to add. Exactly one of Address, Domain and AddressHash is set.
type Input struct {
	Address     string // an address, normalised here
	Domain      string // a whole domain ("example.com" or "@example.com"), normalised here
	AddressHash []byte // SHA-256 of a normalised address, for hash-only imports
	BrandID     int64  // 0: all marketing; otherwise only this brand's
	Reason      Reason
	Source      string // where it came from, e.g. "one-click", "bounce", "cli"
	Actor       string // who: "recipient", a staff user name, "worker"
	ContactID   int64  // optional, recorded on the event
	CampaignID  int64  // optional, recorded on the event
	// HashOnly stores only the hash of Address, not the address itself. Implied for
	// ReasonErasure and for AddressHash inputs. (The plain address is kept by default.)
	HashOnly bool
}

// row is an Input validated and normalised into the table's columns.
type row struct {
	hash    []byte // nil for domain entries
	address string // "" when not kept
	domain  string // "" for address entries
	brandID int64
	reason  Reason
	source  string
	actor   string
}

func (r row) member() string {
	if r.domain != "" {
		return domainMember(r.domain, r.brandID)
	}
	return addressMember(r.hash, r.brandID)
}

// prepare validates in; errors wrap ErrInvalid.
func prepare(in Input) (row, error) {
	r := row{brandID: in.BrandID, reason: in.Reason, source: in.Source, actor: in.Actor}
	if !in.Reason.Valid() {
		return row{}, fmt.Errorf("%w: reason %q", ErrInvalid, in.Reason)
	}
	if in.BrandID < 0 {
		return row{}, fmt.Errorf("%w: brand %d", ErrInvalid, in.BrandID)
	}
	set := 0
	for _, present := range []bool{in.Address != "", in.Domain != "", in.AddressHash != nil} {
		if present {
			set++
		}
	}
	if set != 1 {
		return row{}, fmt.Errorf("%w: give exactly one of address, domain and address hash", ErrInvalid)
	}
	switch {
	case in.Address != "":
		n, err := Normalize(in.Address)
		if err != nil {
			return row{}, err
		}
		h := Hash(n)
		r.hash = h[:]
		if !in.HashOnly && in.Reason != ReasonErasure {
			r.address = n
		}
	case in.Domain != "":
		d, err := NormalizeDomain(in.Domain)
		if err != nil {
			return row{}, err
		}
		r.domain = d
	default:
		if len(in.AddressHash) != 32 {
			return row{}, fmt.Errorf("%w: address hash must be 32 bytes, got %d", ErrInvalid, len(in.AddressHash))
		}
		r.hash = append([]byte(nil), in.AddressHash...)
	}
	return r, nil
}

// ParseHash decodes a hex SHA-256 (64 hex digits, any case, surrounding space ignored).
func ParseHash(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: sha256 must be 64 hex digits", ErrInvalid)
	}
	return b, nil
}
