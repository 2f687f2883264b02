package token

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseKeyring builds a keyring from configuration strings, as cmd/kirje reads them from
//
//	KIRJE_SECRET       the current secret, at least MinSecretLen bytes (e.g. `openssl rand -hex 32`)
//	KIRJE_SECRET_ID    its key ID, 0..255; "" means 1
//	KIRJE_OLD_SECRETS  earlier secrets that must still verify: "ID:SECRET,ID:SECRET" ("" for none)
//
// A secret is used as the bytes written (no decoding); secrets in the old list cannot contain a
// comma. To rotate: move the current "ID:SECRET" into the old list, set a new secret with a new
// ID. Never drop an old secret while mail signed with it may still be answered: its unsubscribe
// links would stop working. Error messages never contain secrets.
func ParseKeyring(id, secret, old string) (*Keyring, error) {
	current, err := parseKeyID(id, 1)
	if err != nil {
		return nil, err
	}
	secrets := map[byte][]byte{current: []byte(secret)}
	for i, entry := range strings.Split(old, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		idText, s, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("token: old secrets: entry %d is not ID:SECRET", i+1)
		}
		oldID, err := parseKeyID(strings.TrimSpace(idText), -1)
		if err != nil {
			return nil, fmt.Errorf("token: old secrets: entry %d: %w", i+1, err)
		}
		if prev, dup := secrets[oldID]; dup && string(prev) != s {
			return nil, fmt.Errorf("token: old secrets: key ID %d given twice with different secrets", oldID)
		}
		secrets[oldID] = []byte(s)
	}
	return NewKeyring(current, secrets)
}

// parseKeyID reads a key ID; def >= 0 is used for "".
func parseKeyID(s string, def int) (byte, error) {
	if s == "" && def >= 0 {
		return byte(def), nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil {
		// The text is not echoed: in a mistyped old-secrets entry it could be a secret.
		return 0, fmt.Errorf("token: key ID is not a number from 0 to 255")
	}
	return byte(n), nil
}
