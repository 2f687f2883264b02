package token

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"hash"
	"sync"
)

// MinSecretLen is the shortest secret NewKeyring accepts, in bytes.
const MinSecretLen = 32

// hkdfInfo binds derived keys to this use and format version.
const hkdfInfo = "kirje/token/v1"

// Keyring signs tokens with its current key and verifies them with any key it knows. It is safe
// for concurrent use.
type Keyring struct {
	current byte
	keys    [256]*macKey
}

// macKey is one derived MAC key with a pool of keyed HMAC states, so that signing and verifying
// do not rebuild the HMAC's inner and outer pads on every call.
type macKey struct {
	pool sync.Pool // of *macState
}

// macState is a keyed HMAC and room for its sum, which would escape to the heap on every call
// if it were the caller's (Sum is called through an interface).
type macState struct {
	h   hash.Hash
	buf [sha256.Size]byte
}

// NewKeyring derives a MAC key from each secret (HKDF-SHA256 with info "kirje/token/v1") and
// returns a keyring that signs with key ID current. Every secret must be at least MinSecretLen
// bytes, and current must be among them. The secrets are not kept.
func NewKeyring(current byte, secrets map[byte][]byte) (*Keyring, error) {
	if _, ok := secrets[current]; !ok {
		return nil, fmt.Errorf("token: keyring: no secret for current key ID %d", current)
	}
	kr := &Keyring{current: current}
	for id, secret := range secrets {
		if len(secret) < MinSecretLen {
			return nil, fmt.Errorf("token: keyring: secret for key ID %d is %d bytes, need at least %d",
				id, len(secret), MinSecretLen)
		}
		key, err := hkdf.Key(sha256.New, secret, nil, hkdfInfo, sha256.Size)
		if err != nil {
			return nil, fmt.Errorf("token: keyring: derive key %d: %w", id, err)
		}
		kr.keys[id] = &macKey{pool: sync.Pool{New: func() any { return &macState{h: hmac.New(sha256.New, key)} }}}
	}
	return kr, nil
}

// sum appends the truncated MAC of msg to dst.
func (k *macKey) sum(dst, msg []byte) []byte {
	s := k.pool.Get().(*macState)
	s.h.Write(msg)
	dst = append(dst, s.h.Sum(s.buf[:0])[:macLen]...)
	s.h.Reset()
	k.pool.Put(s)
	return dst
}

// sign returns the binary token for c.
func (kr *Keyring) sign(c Claims) []byte {
	c.check()
	b := make([]byte, 0, maxBinaryLen)
	b = c.appendBody(b, kr.current)
	return kr.keys[kr.current].sum(b, b)
}

// verify checks a binary token and returns its claims if it is valid and of kind want.
func (kr *Keyring) verify(b []byte, want Kind) (Claims, error) {
	c, keyID, macAt, err := parseBody(b)
	if err != nil || c.Kind != want {
		return Claims{}, ErrInvalid
	}
	k := kr.keys[keyID]
	if k == nil {
		return Claims{}, ErrInvalid
	}
	var buf [macLen]byte
	if !hmac.Equal(k.sum(buf[:0], b[:macAt]), b[macAt:]) {
		return Claims{}, ErrInvalid
	}
	return c, nil
}

// Sign returns the URL form of a token for c (base64url, no padding), signed with the current
// key. SentAt is kept to the second; a zero or pre-1970 SentAt is carried as unknown. Sign panics
// if c cannot be valid (unknown kind, negative IDs, a link ID outside 0..2^31-1 or on a kind
// other than Click): such claims are a bug in the caller.
func (kr *Keyring) Sign(c Claims) string {
	return urlEncoding.EncodeToString(kr.sign(c))
}

// Verify checks a URL-form token and returns its claims. It returns ErrInvalid for anything that
// is not a token of kind want signed by a key in the keyring.
func (kr *Keyring) Verify(s string, want Kind) (Claims, error) {
	if len(s) > urlEncoding.EncodedLen(maxBinaryLen) || !inAlphabet(s, urlAlphabet) {
		return Claims{}, ErrInvalid
	}
	b, err := urlEncoding.DecodeString(s)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	return kr.verify(b, want)
}

// SignAddress returns the address form of a token for c: lower-case base32 without padding, for
// the local part of a VERP return path or a mailto: address, where an MTA may change case.
// It panics on the same invalid claims as Sign.
func (kr *Keyring) SignAddress(c Claims) string {
	return addrEncoding.EncodeToString(kr.sign(c))
}

// VerifyAddress checks an address-form token, ignoring case, and returns its claims. It returns
// ErrInvalid for anything that is not a token of kind want signed by a key in the keyring.
func (kr *Keyring) VerifyAddress(s string, want Kind) (Claims, error) {
	if len(s) > addrEncoding.EncodedLen(maxBinaryLen) {
		return Claims{}, ErrInvalid
	}
	s = lowerASCII(s)
	if !inAlphabet(s, addrAlphabet) {
		return Claims{}, ErrInvalid
	}
	b, err := addrEncoding.DecodeString(s)
	// base32 decoding ignores the unused low bits of the last character; re-encoding catches a
	// changed last character so that one token has exactly one spelling (up to case).
	if err != nil || addrEncoding.EncodeToString(b) != s {
		return Claims{}, ErrInvalid
	}
	return kr.verify(b, want)
}
