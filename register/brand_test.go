package register_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/register"
)

// testKeys are PEM private keys generated for this test run.
type testKeys struct{ rsaPKCS1, rsaPKCS8, ed25519, ecdsa, rsaPublic string }

func newTestKeys(t *testing.T) testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(rk)
	require.NoError(t, err)
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ed, err := x509.MarshalPKCS8PrivateKey(ek)
	require.NoError(t, err)
	ck, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ec, err := x509.MarshalPKCS8PrivateKey(ck)
	require.NoError(t, err)
	pub, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	require.NoError(t, err)
	enc := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	return testKeys{
		rsaPKCS1:  enc("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk)),
		rsaPKCS8:  enc("PRIVATE KEY", pkcs8),
		ed25519:   enc("PRIVATE KEY", ed),
		ecdsa:     enc("PRIVATE KEY", ec),
		rsaPublic: enc("PUBLIC KEY", pub),
	}
}

func validBrand() register.BrandInput {
	return register.BrandInput{
		Name:          "Kirje Oy",
		From:          `"Kirje Uutiset" <Uutiset@Kirje.Example>`,
		PostalAddress: "Esimerkkikatu 1\n00100 Helsinki",
	}
}

func TestCreateBrand(t *testing.T) {
	b := setup(t)
	keys := newTestKeys(t)
	in := validBrand()
	in.ReplyTo = "Myynti <myynti@kirje.example>"
	in.DKIMDomain, in.DKIMSelector, in.DKIMKeyPEM = "Kirje.Example", "k2025", keys.rsaPKCS1
	br, err := b.store.CreateBrand(b.ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "Kirje Uutiset", br.FromName)
	assert.Equal(t, "uutiset@kirje.example", br.FromAddress)
	assert.Equal(t, `"Myynti" <myynti@kirje.example>`, br.ReplyTo)
	assert.Equal(t, "kirje.example", br.DKIMDomain)
	assert.Equal(t, "default", br.Relay)
	assert.Equal(t, register.TrackingIndividual, br.Tracking)
	assert.True(t, br.HasDKIM())

	for name, key := range map[string]string{"pkcs8": keys.rsaPKCS8, "ed25519": keys.ed25519} {
		in := validBrand()
		in.Name, in.From, in.Relay, in.Tracking = "Brand "+name, "news@other.example", "eu-relay", register.TrackingAggregate
		in.DKIMDomain, in.DKIMSelector, in.DKIMKeyPEM = "other.example", "s1", key
		got, err := b.store.CreateBrand(b.ctx, in)
		require.NoError(t, err, name)
		assert.Equal(t, "", got.FromName)
		assert.Equal(t, "eu-relay", got.Relay)
		assert.Equal(t, register.TrackingAggregate, got.Tracking)
	}

	_, err = b.store.CreateBrand(b.ctx, validBrand())
	require.ErrorIs(t, err, register.ErrConflict, "names are unique")

	byName, err := b.store.BrandByName(b.ctx, "Kirje Oy")
	require.NoError(t, err)
	assert.Equal(t, br, byName)
	byID, err := b.store.Brand(b.ctx, br.ID)
	require.NoError(t, err)
	assert.Equal(t, br, byID)
	_, err = b.store.BrandByName(b.ctx, "nobody")
	require.ErrorIs(t, err, register.ErrNotFound)
	all, err := b.store.ListBrands(b.ctx)
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, []string{"Brand ed25519", "Brand pkcs8", "Kirje Oy"}, []string{all[0].Name, all[1].Name, all[2].Name})
}

func TestCreateBrandRejects(t *testing.T) {
	b := setup(t)
	keys := newTestKeys(t)
	dkim := func(domain, selector, key string) func(*register.BrandInput) {
		return func(in *register.BrandInput) { in.DKIMDomain, in.DKIMSelector, in.DKIMKeyPEM = domain, selector, key }
	}
	tests := []struct {
		name   string
		change func(*register.BrandInput)
		field  string
	}{
		{"no name", func(in *register.BrandInput) { in.Name = " " }, "name"},
		{"no from", func(in *register.BrandInput) { in.From = "" }, "from"},
		{"from not an address", func(in *register.BrandInput) { in.From = "Kirje Uutiset" }, "from"},
		{"from two addresses", func(in *register.BrandInput) { in.From = "a@x.example, b@x.example" }, "from"},
		{"from header injection", func(in *register.BrandInput) { in.From = "a@x.example\r\nBcc: v@y.example" }, "from"},
		{"from without dot domain", func(in *register.BrandInput) { in.From = "Kirje <news@localhost>" }, "from"},
		{"bad reply-to", func(in *register.BrandInput) { in.ReplyTo = "myynti at kirje" }, "reply_to"},
		{"no postal address", func(in *register.BrandInput) { in.PostalAddress = "  " }, "postal_address"},
		{"bad tracking", func(in *register.BrandInput) { in.Tracking = "full" }, "tracking"},
		{"key not PEM", dkim("kirje.example", "s1", "not a key"), "dkim_key"},
		{"public key", dkim("kirje.example", "s1", keys.rsaPublic), "dkim_key"},
		{"ECDSA key", dkim("kirje.example", "s1", keys.ecdsa), "dkim_key"},
		{"corrupt key", dkim("kirje.example", "s1", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), "dkim_key"},
		{"key without selector", dkim("kirje.example", "", keys.rsaPKCS1), "dkim_selector"},
		{"key without domain", dkim("", "s1", keys.rsaPKCS1), "dkim_domain"},
		{"selector without key", dkim("kirje.example", "s1", ""), "dkim_key"},
		{"bad selector", dkim("kirje.example", "s 1", keys.rsaPKCS1), "dkim_selector"},
		{"bad domain", dkim("kirje", "s1", keys.rsaPKCS1), "dkim_domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validBrand()
			tt.change(&in)
			_, err := b.store.CreateBrand(b.ctx, in)
			require.ErrorIs(t, err, register.ErrInvalid)
			var fe *register.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field, err.Error())
		})
	}
	assert.Equal(t, 0, b.count(t, "brands"))
}

func TestUpdateBrand(t *testing.T) {
	b := setup(t)
	keys := newTestKeys(t)
	in := validBrand()
	in.DKIMDomain, in.DKIMSelector, in.DKIMKeyPEM = "kirje.example", "s1", keys.rsaPKCS1
	br, err := b.store.CreateBrand(b.ctx, in)
	require.NoError(t, err)
	other, err := b.store.CreateBrand(b.ctx, register.BrandInput{Name: "Other", From: "o@other.example", PostalAddress: "Tie 2"})
	require.NoError(t, err)

	in.DKIMKeyPEM, in.DKIMSelector, in.PostalAddress = "", "s2", "Uusi katu 3"
	up, err := b.store.UpdateBrand(b.ctx, br.ID, in)
	require.NoError(t, err)
	assert.Equal(t, keys.rsaPKCS1[:40], up.DKIMKeyPEM[:40], "an update without a key keeps the stored one")
	assert.Equal(t, "s2", up.DKIMSelector)
	assert.Equal(t, "Uusi katu 3", up.PostalAddress)

	in.DKIMDomain, in.DKIMSelector = "", ""
	up, err = b.store.UpdateBrand(b.ctx, br.ID, in)
	require.NoError(t, err)
	assert.False(t, up.HasDKIM(), "clearing all DKIM fields stops signing")
	assert.Equal(t, "", up.DKIMKeyPEM)

	in.DKIMDomain, in.DKIMSelector = "kirje.example", "s3"
	_, err = b.store.UpdateBrand(b.ctx, br.ID, in)
	require.ErrorIs(t, err, register.ErrInvalid, "no stored key to keep any more")

	_, err = b.store.UpdateBrand(b.ctx, other.ID, validBrand())
	require.ErrorIs(t, err, register.ErrConflict)
	_, err = b.store.UpdateBrand(b.ctx, 987654, validBrand())
	require.ErrorIs(t, err, register.ErrNotFound)
}
