package token

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrInvalid is returned for any token that does not verify: malformed encoding, wrong version,
// unknown key, bad MAC, wrong kind, truncated or trailing bytes, non-canonical numbers. Callers
// must not learn more than that (it is deliberately one error).
var ErrInvalid = errors.New("token: invalid")

// Kind says what a token is for. A token of one kind never verifies as another.
type Kind byte

// Token kinds. The numbers are part of the wire format: never renumber.
const (
	Open        Kind = 1 // the open pixel, /o/TOKEN
	Click       Kind = 2 // a tracked link, /c/TOKEN; the only kind that carries a link ID
	Unsubscribe Kind = 3 // the unsubscribe page and RFC 8058 one-click URL, /u/TOKEN
	Bounce      Kind = 4 // the VERP return path (address form)
	Mailto      Kind = 5 // the mailto: unsubscribe address (address form)
)

func (k Kind) valid() bool { return k >= Open && k <= Mailto }

// String names the kind for logs.
func (k Kind) String() string {
	switch k {
	case Open:
		return "open"
	case Click:
		return "click"
	case Unsubscribe:
		return "unsubscribe"
	case Bounce:
		return "bounce"
	case Mailto:
		return "mailto"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Claims is what a token says. ContactID 0 means aggregate tracking (the campaign only). LinkID
// is carried by Click tokens only. SentAt has one-second precision; the zero time means unknown.
type Claims struct {
	Kind       Kind
	CampaignID int64
	ContactID  int64
	LinkID     int
	SentAt     time.Time
}

const (
	version = 1
	macLen  = 16
	// headerLen is version, kind and key ID.
	headerLen = 3
	// maxBinaryLen bounds a token: header, four 10-byte varints and the MAC. Longer input is
	// rejected before decoding, so an attacker cannot make Verify allocate much.
	maxBinaryLen = headerLen + 4*binary.MaxVarintLen64 + macLen
	// maxSentAt is the end of year 9999 in unix seconds; a later time is not a real send time.
	maxSentAt = 253402300799
)

// check panics on claims that no caller holding real database IDs can produce: signing them
// would make a token that can never verify, which is a bug to surface at once, not in a
// recipient's mail client.
func (c Claims) check() {
	switch {
	case !c.Kind.valid():
		panic(fmt.Sprintf("token: sign: unknown kind %d", c.Kind))
	case c.CampaignID < 0 || c.ContactID < 0:
		panic("token: sign: negative campaign or contact ID")
	case c.LinkID < 0 || c.LinkID > math.MaxInt32:
		panic("token: sign: link ID out of range")
	case c.LinkID != 0 && c.Kind != Click:
		panic("token: sign: only click tokens carry a link ID")
	}
}

// appendBody appends everything the MAC covers.
func (c Claims) appendBody(b []byte, keyID byte) []byte {
	b = append(b, version, byte(c.Kind), keyID)
	b = binary.AppendUvarint(b, uint64(c.CampaignID))
	b = binary.AppendUvarint(b, uint64(c.ContactID))
	if c.Kind == Click {
		b = binary.AppendUvarint(b, uint64(c.LinkID))
	}
	var sent uint64
	if s := c.SentAt.Unix(); !c.SentAt.IsZero() && s > 0 && s <= maxSentAt {
		sent = uint64(s)
	}
	return binary.AppendUvarint(b, sent)
}

// parseBody reads the fields of a decoded token and returns them with the key ID and the offset
// where the MAC starts. It checks structure only; the caller checks the MAC.
func parseBody(b []byte) (c Claims, keyID byte, macAt int, err error) {
	if len(b) < headerLen+macLen || b[0] != version || !Kind(b[1]).valid() {
		return Claims{}, 0, 0, ErrInvalid
	}
	c.Kind, keyID = Kind(b[1]), b[2]
	r := varintReader{b: b[:len(b)-macLen], off: headerLen}
	c.CampaignID = int64(r.next(math.MaxInt64))
	c.ContactID = int64(r.next(math.MaxInt64))
	if c.Kind == Click {
		c.LinkID = int(r.next(math.MaxInt32))
	}
	if sent := r.next(maxSentAt); sent != 0 {
		c.SentAt = time.Unix(int64(sent), 0).UTC()
	}
	// Every byte before the MAC must have been consumed: no trailing data.
	if r.bad || r.off != len(r.b) {
		return Claims{}, 0, 0, ErrInvalid
	}
	return c, keyID, r.off, nil
}

// varintReader reads canonical uvarints and remembers the first failure.
type varintReader struct {
	b   []byte
	off int
	bad bool
}

func (r *varintReader) next(max uint64) uint64 {
	if r.bad {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	// n <= 0: truncated or overflow. A last byte of 0 in a multi-byte varint is an overlong
	// (non-canonical) encoding of a smaller number: the same number must have one spelling.
	if n <= 0 || (n > 1 && r.b[r.off+n-1] == 0) || v > max {
		r.bad = true
		return 0
	}
	r.off += n
	return v
}
