package feed

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrInvalidCursor is returned for a cursor string Kirje did not produce.
var ErrInvalidCursor = errors.New("feed: invalid cursor")

// cursorVersion is the first byte of an encoded cursor, so the encoding can change later
// without misreading old cursors.
const cursorVersion = 1

// Cursor is a position in the feed: the (tx, id) of the last event seen. The zero Cursor is the
// beginning of the feed.
type Cursor struct {
	Tx uint64 // the writing transaction (events.tx, an xid8)
	ID int64  // the event's ID
}

// IsZero reports whether c is the beginning of the feed.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// String encodes c for clients: URL-safe base64 of a version byte and both numbers, "" for the
// beginning. Clients must treat it as opaque.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	var b [17]byte
	b[0] = cursorVersion
	binary.BigEndian.PutUint64(b[1:9], c.Tx)
	binary.BigEndian.PutUint64(b[9:], uint64(c.ID))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ParseCursor decodes a cursor from String; "" is the beginning of the feed. Anything else
// returns an error wrapping ErrInvalidCursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	if len(s) != base64.RawURLEncoding.EncodedLen(17) {
		return Cursor{}, fmt.Errorf("%w: wrong length", ErrInvalidCursor)
	}
	// The decoder skips newlines, so a string of the right length may still hold fewer bytes.
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 17 {
		return Cursor{}, fmt.Errorf("%w: not base64url", ErrInvalidCursor)
	}
	if b[0] != cursorVersion {
		return Cursor{}, fmt.Errorf("%w: unknown version %d", ErrInvalidCursor, b[0])
	}
	c := Cursor{Tx: binary.BigEndian.Uint64(b[1:9]), ID: int64(binary.BigEndian.Uint64(b[9:]))}
	if c.ID < 0 || c.IsZero() {
		return Cursor{}, fmt.Errorf("%w: out of range", ErrInvalidCursor)
	}
	return c, nil
}

// MarshalText encodes c as String does.
func (c Cursor) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText decodes c as ParseCursor does.
func (c *Cursor) UnmarshalText(b []byte) error {
	v, err := ParseCursor(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
