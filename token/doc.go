// Package token owns the compact signed tokens that Kirje puts in the links of every message: the
// open pixel, tracked links, the unsubscribe link (RFC 8058 one-click URL), the mailto unsubscribe
// address and the VERP return path. A token names a campaign, a contact (0 for aggregate
// tracking), a link (clicks only) and the send time, and is verified in memory with a keyed MAC,
// without any database: a forged, truncated or altered token is simply invalid.
//
// # Format
//
// The binary form is
//
//	version(1) | kind(1) | keyID(1) | uvarint campaignID | uvarint contactID |
//	uvarint linkID (click only) | uvarint sentAt (unix seconds, 0 = unknown) | MAC(16)
//
// where MAC is the first 16 bytes of HMAC-SHA256(key[keyID], every preceding byte). URLs carry it
// as base64url without padding (Sign, Verify). Mail addresses carry it as lower-case base32 without
// padding (SignAddress, VerifyAddress), because some MTAs lower-case the local part of a VERP
// address; VerifyAddress therefore ignores case. Tokens never expire: an unsubscribe link must
// work years after the message was sent.
//
// # Keys
//
// A Keyring holds MAC keys by one-byte key ID. New tokens are signed with the current key; any
// known key verifies, so a key can be rotated by adding a new current secret and keeping the old
// one in the list for as long as old mail may be answered (for unsubscribe links: for good). MAC
// keys are derived from the configured secrets with HKDF-SHA256, so a secret is never used as a
// key directly. ParseKeyring reads the configuration strings (see there).
//
// This package does no I/O and knows nothing of HTTP, campaigns or the database: it signs and
// verifies. Links builds the per-recipient URLs that package templates asks for.
package token
