package webhook_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/webhook"
)

// The example from the Standard Webhooks specification's reference implementations.
func TestSignMatchesTheSpecificationsExample(t *testing.T) {
	t.Parallel()
	key, err := webhook.ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	require.NoError(t, err)
	got := webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", got)
}

func TestSignedHeadersPassAnIndependentVerifier(t *testing.T) {
	t.Parallel()
	key, err := webhook.ParseSecret(webhook.FormatSecret([]byte("0123456789abcdef0123456789abcdef")))
	require.NoError(t, err)
	secret := webhook.FormatSecret(key)
	at := time.Unix(1770000000, 0)
	body := []byte(`{"type":"kirje.events","data":[{"id":1}]}`)
	h := webhook.SignedHeaders(key, "msg_abc", at, body)
	hdr := http.Header{}
	hdr.Set("webhook-id", h.ID)
	hdr.Set("webhook-timestamp", h.Timestamp)
	hdr.Set("webhook-signature", "v1,bm90IGl0 "+h.Signature) // receivers accept any matching entry
	require.NoError(t, verify(secret, hdr, body, at.Add(time.Minute)))

	assert.Error(t, verify(secret, hdr, append(body, ' '), at), "a changed body fails")
	assert.Error(t, verify(secret, hdr, body, at.Add(10*time.Minute)), "an old timestamp fails")
	hdr.Set("webhook-id", "msg_other")
	assert.Error(t, verify(secret, hdr, body, at), "another id fails")
}

func TestParseSecretRefusesForeignSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_!!!", "whsec_c2hvcnQ="} {
		_, err := webhook.ParseSecret(s)
		assert.Error(t, err, s)
	}
}
