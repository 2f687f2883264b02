package worker

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/register"
)

// A brand with a DKIM key signs its campaign messages, and the signature covers both
// List-Unsubscribe headers (RFC 8058 asks for that).
func TestCampaignMessagesAreSignedWithTheBrandsKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, options{})
	b.startWriter(t)
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	signed, err := register.New(b.db.Pool).CreateBrand(ctx, register.BrandInput{
		Name: "signed", From: "Signed <news@signed.example>", PostalAddress: "Katu 1, 00100 Helsinki",
		DKIMDomain: "signed.example", DKIMSelector: "k1", DKIMKeyPEM: string(keyPEM),
	})
	require.NoError(t, err)
	fixture.Contacts(t, b.db.Pool, "dkim.example", 1)
	c := fixture.Scheduled(t, b.db.Pool, signed, "", time.Now())
	require.NoError(t, b.w.processStart(ctx, startTask(c)))
	require.NoError(t, b.w.processBatch(ctx, batchTask(c.ID, 0)))

	msgs := b.sink.To("user0@dkim.example")
	require.Len(t, msgs, 1)
	sig := strings.ToLower(strings.ReplaceAll(msgs[0].Header("DKIM-Signature"), " ", ""))
	require.NotEmpty(t, sig, "the message must be DKIM-signed")
	assert.Contains(t, sig, "d=signed.example")
	assert.Contains(t, sig, "s=k1")
	h := sig[strings.Index(sig, "h="):]
	h = h[:strings.IndexByte(h, ';')]
	for _, header := range []string{"from", "subject", "list-unsubscribe", "list-unsubscribe-post"} {
		assert.Contains(t, strings.Split(strings.TrimPrefix(h, "h="), ":"), header, "h= must cover %s", header)
	}
}
