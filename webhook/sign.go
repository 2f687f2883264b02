package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// secretPrefix starts every secret as Standard Webhooks writes them.
const secretPrefix = "whsec_"

// secretBytes is the length of generated secrets (the specification asks for 24 to 64).
const secretBytes = 32

// newSecret returns fresh random key bytes.
func newSecret() []byte {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

// FormatSecret writes key bytes as a secret: "whsec_" + standard base64.
func FormatSecret(key []byte) string { return secretPrefix + base64.StdEncoding.EncodeToString(key) }

// ParseSecret reads a "whsec_…" secret back into its key bytes.
func ParseSecret(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return nil, errors.New("webhook: secret must start with " + secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, errors.New("webhook: secret is not base64 of 24 to 64 bytes")
	}
	return key, nil
}

// Sign returns the webhook-signature header value for a message: "v1," followed by the base64
// HMAC-SHA256, under key, of msgID + "." + unix seconds + "." + body.
func Sign(key []byte, msgID string, at time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(at.Unix(), 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Headers are the Standard Webhooks headers of one attempt.
type Headers struct {
	ID        string // webhook-id: the same on every attempt of a delivery
	Timestamp string // webhook-timestamp: the attempt's unix seconds
	Signature string // webhook-signature
}

// SignedHeaders signs body for msgID at time at.
func SignedHeaders(key []byte, msgID string, at time.Time, body []byte) Headers {
	return Headers{ID: msgID, Timestamp: strconv.FormatInt(at.Unix(), 10), Signature: Sign(key, msgID, at, body)}
}

// newMessageID returns a fresh webhook-id: "msg_" and 26 base32 characters of randomness.
func newMessageID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return fmt.Sprintf("msg_%s%s", prefix, strings.ToLower(enc.EncodeToString(b)))
}
