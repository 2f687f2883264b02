package mailer_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
)

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func rsaPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey())}))
}

func input(to string) mailer.BuildInput {
	return mailer.BuildInput{
		From:      mailer.Address{Name: "Äkäslompolon Äänekäs Oy", Email: "uutiset@example.fi"},
		ReplyTo:   "myynti@example.fi",
		To:        to,
		Subject:   "Kevään tarjoukset – Hei Liisa",
		HTML:      "<p>Hei Liisa,</p><p>Kevään tarjoukset: <a href=\"https://t.example.fi/c/1\">katso</a>.</p>\n",
		Text:      "Hei Liisa,\n\nKevään tarjoukset: https://t.example.fi/c/1\n",
		MessageID: mailer.NewMessageID("example.fi"),
		ListUnsubscribe: []string{"https://t.example.fi/u/TOKEN",
			"mailto:unsubscribe+TOKEN@example.fi"},
		OneClick:   true,
		FeedbackID: "42:1:acme:kirje",
		Headers:    map[string]string{"X-Kirje-Campaign": "42"},
	}
}

func TestBuildSendsSignedMessage(t *testing.T) {
	t.Parallel()
	edPub, edPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	edDER, err := x509.MarshalPKCS8PrivateKey(edPriv)
	require.NoError(t, err)
	keys := []struct {
		name string
		pem  string
		pub  any
		alg  string
	}{
		{"rsa", rsaPEM(), &rsaKey().PublicKey, "rsa-sha256"},
		{"ed25519", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})), edPub, "ed25519-sha256"},
	}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			sink := smtptest.Start(t, smtptest.Options{})
			pool := newPool(t, sink, "")
			signer, err := mailer.NewDKIMSigner("example.fi", "kirje2026", k.pem)
			require.NoError(t, err)
			in := input("liisa@example.com")
			msg, err := mailer.Build(in, signer)
			require.NoError(t, err)
			require.NoError(t, pool.Send(context.Background(), msg))
			sink.Wait(t, 1, 5*time.Second)
			got := sink.Messages()[0]

			assert.Equal(t, "uutiset@example.fi", got.From)
			assert.Equal(t, []string{"liisa@example.com"}, got.To)
			assert.Equal(t, "<https://t.example.fi/u/TOKEN>, <mailto:unsubscribe+TOKEN@example.fi>", got.Header("List-Unsubscribe"))
			assert.Equal(t, "List-Unsubscribe=One-Click", got.Header("List-Unsubscribe-Post"))
			assert.Equal(t, "<"+in.MessageID+">", got.Header("Message-ID"))
			assert.Equal(t, "42:1:acme:kirje", got.Header("Feedback-ID"))
			assert.Equal(t, "42", got.Header("X-Kirje-Campaign"))
			assert.Empty(t, got.Header("User-Agent")+got.Header("X-Mailer"), "no advertising of the library")
			assertParts(t, got.Data, in)

			tags, err := verifyDKIM(got.Data, k.pub)
			require.NoError(t, err, "DKIM signature must verify")
			assert.Equal(t, k.alg, tags["a"])
			assert.Equal(t, "example.fi", tags["d"])
			assert.Equal(t, "kirje2026", tags["s"])
			signed := strings.Split(strings.ToLower(tags["h"]), ":")
			for _, h := range []string{"from", "to", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"} {
				assert.Contains(t, signed, h)
			}

			tampered := bytes.Replace(got.Data, []byte("unsubscribe+TOKEN"), []byte("unsubscribe+EVIL1"), 1)
			_, err = verifyDKIM(tampered, k.pub)
			assert.Error(t, err, "the verifier must notice a changed List-Unsubscribe")
		})
	}
}

// assertParts checks the message is multipart/alternative with the text and the HTML intact.
func assertParts(t *testing.T, raw []byte, in mailer.BuildInput) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	require.NoError(t, err)
	assert.Equal(t, in.Subject, subject)
	from, err := mail.ParseAddress(m.Header.Get("From"))
	require.NoError(t, err)
	assert.Equal(t, in.From.Name, from.Name)
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/alternative", mt)
	r := multipart.NewReader(m.Body, params["boundary"])
	want := []struct{ typ, body string }{{"text/plain", in.Text}, {"text/html", in.HTML}}
	for _, w := range want {
		p, err := r.NextRawPart()
		require.NoError(t, err)
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		assert.Equal(t, w.typ, pt)
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		assert.Equal(t, strings.ReplaceAll(w.body, "\n", "\r\n"), string(b))
	}
	_, err = r.NextRawPart()
	assert.ErrorIs(t, err, io.EOF)
}

func TestBuildInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(in *mailer.BuildInput)
	}{
		{"no from", func(in *mailer.BuildInput) { in.From.Email = "" }},
		{"bad to", func(in *mailer.BuildInput) { in.To = "not an address" }},
		{"two recipients", func(in *mailer.BuildInput) { in.To = "a@b.fi, c@d.fi" }},
		{"no body", func(in *mailer.BuildInput) { in.HTML, in.Text = "", "" }},
		{"message ID in brackets", func(in *mailer.BuildInput) { in.MessageID = "<x@y.fi>" }},
		{"no message ID", func(in *mailer.BuildInput) { in.MessageID = "" }},
		{"one-click without https", func(in *mailer.BuildInput) { in.ListUnsubscribe = []string{"mailto:u@example.fi"} }},
		{"unsubscribe URI injection", func(in *mailer.BuildInput) { in.ListUnsubscribe = []string{"https://a.fi/>\r\nBcc: x@y.fi"} }},
		{"relative unsubscribe URI", func(in *mailer.BuildInput) { in.ListUnsubscribe = []string{"/u/x"} }},
		{"managed header", func(in *mailer.BuildInput) { in.Headers = map[string]string{"List-Unsubscribe": "<x>"} }},
		{"header name", func(in *mailer.BuildInput) { in.Headers = map[string]string{"X Bad": "1"} }},
		{"header value line break", func(in *mailer.BuildInput) { in.Headers = map[string]string{"X-A": "1\r\nBcc: x@y.fi"} }},
		{"subject line break", func(in *mailer.BuildInput) { in.Subject = "a\r\nBcc: x@y.fi" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := input("liisa@example.com")
			tt.change(&in)
			_, err := mailer.Build(in, nil)
			require.ErrorIs(t, err, mailer.ErrInvalid)
		})
	}
}

func TestBuildSinglePart(t *testing.T) {
	t.Parallel()
	in := input("liisa@example.com")
	in.Text = ""
	msg, err := mailer.Build(in, nil)
	require.NoError(t, err)
	var b bytes.Buffer
	_, err = msg.WriteTo(&b)
	require.NoError(t, err)
	m, err := mail.ReadMessage(&b)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(m.Header.Get("Content-Type"), "text/html"))
	assert.Empty(t, m.Header.Get("DKIM-Signature"), "unsigned without a signer")
}

func TestNewDKIMSignerInvalid(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][3]string{
		"no domain":   {"", "s", rsaPEM()},
		"no selector": {"example.fi", "", rsaPEM()},
		"not PEM":     {"example.fi", "s", "-----BEGIN NOTHING-----"},
		"garbage key": {"example.fi", "s", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("secret-bytes")}))},
	} {
		_, err := mailer.NewDKIMSigner(args[0], args[1], args[2])
		require.ErrorIs(t, err, mailer.ErrInvalid, name)
		assert.NotContains(t, err.Error(), "secret-bytes", name)
		assert.NotContains(t, err.Error(), "PRIVATE KEY-----\nMII", name)
	}
}

func TestNewMessageID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := mailer.NewMessageID("mail.example.fi")
		require.True(t, strings.HasSuffix(id, "@mail.example.fi"))
		require.False(t, seen[id], "duplicate %s", id)
		seen[id] = true
		_, err := mail.ParseAddress("<" + id + ">")
		require.NoError(t, err, "an id must be a valid msg-id: %s", id)
	}
}
