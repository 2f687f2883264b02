package suppression

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kirje/kirje/internal/emailaddr"
)

// Sentinel errors callers branch on. They are returned wrapped.
var (
	// ErrUnavailable means the list could not answer: Redis is unreachable, the mirror is not
	// built, or it was built on a Redis process that has since restarted. A sender that gets it
	// must not send, and tries again later.
	ErrUnavailable = errors.New("suppression list unavailable")
	// ErrInvalid means the input is not a usable address, domain, hash, reason or scope.
	ErrInvalid = errors.New("invalid suppression input")
	// ErrNotFound means no entry matched.
	ErrNotFound = errors.New("suppression entry not found")
	// ErrRebuildInProgress means another process holds the rebuild lock.
	ErrRebuildInProgress = errors.New("suppression mirror rebuild in progress elsewhere")
)

// Reason says why an entry exists.
type Reason string

// Reasons, as stored in suppressions.reason.
const (
	ReasonUnsubscribe Reason = "unsubscribe" // the recipient opted out
	ReasonBounce      Reason = "bounce"      // a hard bounce: the mailbox does not exist
	ReasonComplaint   Reason = "complaint"   // a spam complaint
	ReasonManual      Reason = "manual"      // staff added it (a request by phone or email)
	ReasonErasure     Reason = "erasure"     // the person was erased; only the hash remains
	ReasonImport      Reason = "import"      // brought in from another system
)

// Valid reports whether r is one of the defined reasons.
func (r Reason) Valid() bool {
	switch r {
	case ReasonUnsubscribe, ReasonBounce, ReasonComplaint, ReasonManual, ReasonErasure, ReasonImport:
		return true
	}
	return false
}

// Scopes a Verdict names: which kind of entry matched.
const (
	ScopeAddress      = "address"       // the address, for all marketing
	ScopeDomain       = "domain"        // the whole domain, for all marketing
	ScopeBrandAddress = "brand_address" // the address, for this brand only
	ScopeBrandDomain  = "brand_domain"  // the whole domain, for this brand only
)

// Verdict is the answer of Check for one address.
type Verdict struct {
	Suppressed bool
	// Scope names the matching entry kind (one of the Scope* constants); "" when not suppressed.
	// When several match, the broadest wins: address, domain, brand_address, brand_domain.
	Scope string
}

// Entry is one row of the list. Exactly one of AddressHash and Domain is set.
type Entry struct {
	ID          int64     `json:"id"`
	AddressHash []byte    `json:"address_hash,omitempty"` // SHA-256 of the normalised address
	Address     string    `json:"address,omitempty"`      // "" when only the hash is kept
	Domain      string    `json:"domain,omitempty"`       // IDNA ASCII, lower-case
	BrandID     int64     `json:"brand_id,omitempty"`     // 0: all marketing
	Reason      Reason    `json:"reason"`
	Source      string    `json:"source,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Normalize is the one normalisation of addresses the list uses (emailaddr.Normalize): trimmed,
// lower-cased, IDN domain in ASCII form. It returns an error wrapping ErrInvalid.
func Normalize(address string) (string, error) {
	n, err := emailaddr.Normalize(address)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return n, nil
}

// NormalizeDomain normalises a whole-domain entry's domain; a leading "@" is allowed
// ("@example.com"). It returns an error wrapping ErrInvalid.
func NormalizeDomain(domain string) (string, error) {
	// emailaddr.NormalizeDomain turns invalid UTF-8 into a punycode label that does not decode.
	if !utf8.ValidString(domain) {
		return "", fmt.Errorf("%w: domain is not valid UTF-8", ErrInvalid)
	}
	d, err := emailaddr.NormalizeDomain(strings.TrimPrefix(strings.TrimSpace(domain), "@"))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return d, nil
}

// Hash returns the SHA-256 of an already normalised address. It is deliberately unkeyed: the
// hashes must survive rotation of Kirje's secrets (an erased person stays suppressed for good)
// and must match hashes exported by other systems, so that hash-only lists can be imported.
func Hash(normalized string) [32]byte {
	return sha256.Sum256([]byte(normalized))
}
