package inbound_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
)

const mailDomain = "bounce.acme.example"

// bundle is what a pipeline test needs: a schema, the suppression list, a processor and the
// register rows that sends are matched to.
type bundle struct {
	db       *pgtest.DB
	list     *suppression.List
	keys     *token.Keyring
	proc     *inbound.Processor
	brand    register.Brand
	campaign campaign.Campaign
}

func testKeys(t testing.TB) *token.Keyring {
	t.Helper()
	keys, err := token.NewKeyring(1, map[byte][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	return keys
}

func setup(t testing.TB, cfg inbound.Config) *bundle {
	t.Helper()
	db, rd := pgtest.New(t), redistest.New(t)
	list, err := suppression.New(db.Pool, suppression.Config{RedisURL: rd.URL, Prefix: rd.Prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = list.Close() })
	require.NoError(t, list.EnsureReady(context.Background()))
	b := &bundle{db: db, list: list, keys: testKeys(t)}
	cfg.Keys = b.keys
	b.proc, err = inbound.NewProcessor(cfg, inbound.Deps{DB: db.Pool, Suppression: list, Optout: optout.New(db.Pool, list)})
	require.NoError(t, err)
	b.brand = fixture.Brand(t, db.Pool, "acme")
	b.campaign = fixture.Campaign(t, db.Pool, b.brand, "")
	return b
}

// send makes contact email a recipient of campaign c whose message was sent with messageID, as
// the worker leaves the ledger, and returns the contact.
func (b *bundle) send(t testing.TB, c campaign.Campaign, email, messageID string) register.Contact {
	t.Helper()
	contact := fixture.Contact(t, b.db.Pool, email, "Purchasing Manager")
	_, err := b.db.Pool.Exec(context.Background(), `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status, message_id) VALUES ($1, $2, 0, 'sent', nullif($3, ''))`,
		c.ID, contact.ID, messageID)
	require.NoError(t, err)
	return contact
}

// message fills a corpus template: the tokens and headers the worker would have put in the
// message of campaign c to contact.
func (b *bundle) message(t testing.TB, tmpl string, c campaign.Campaign, contact register.Contact, messageID string) []byte {
	t.Helper()
	base, _ := url.Parse("https://t.acme.example")
	r := token.Links{Base: base, Keys: b.keys}.ForRecipient(c.ID, contact.ID, time.Now(), token.LevelIndividual)
	_, unsub, _ := strings.Cut(r.Unsubscribe(), "/u/")
	return []byte(strings.NewReplacer(
		"{{VERP}}", r.ReturnPath(mailDomain),
		"{{MAILTO}}", strings.TrimPrefix(r.Mailto(mailDomain), "mailto:"),
		"{{UNSUB}}", unsub,
		"{{MSGID}}", messageID,
		"{{CAMPAIGN}}", strconv.FormatInt(c.ID, 10),
	).Replace(tmpl))
}

func (b *bundle) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func (b *bundle) suppressed(t testing.TB, email string) bool {
	t.Helper()
	v, err := b.list.Check(context.Background(), b.brand.ID, email)
	require.NoError(t, err)
	return v.Suppressed
}

// corpusCase is one entry of testdata/expect.json.
type corpusCase struct {
	File       string `json:"file"`
	MTA        string `json:"mta"`
	Malformed  bool   `json:"malformed"`
	Kind       string `json:"kind"`
	Recipients []struct {
		Address string `json:"address"`
		Verdict string `json:"verdict"`
	} `json:"recipients"`
}

func corpus(t *testing.T) []corpusCase {
	t.Helper()
	b, err := os.ReadFile("testdata/expect.json")
	require.NoError(t, err)
	var out []corpusCase
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func readCorpus(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
	require.NoError(t, err)
	return string(b)
}

// pgxpoolNew opens a separate pool on url, for a test that closes it.
func pgxpoolNew(t testing.TB, url string) (*pgxpool.Pool, error) {
	t.Helper()
	return pgxpool.New(context.Background(), url)
}

func tokenLinks(base *url.URL, keys *token.Keyring) token.Links {
	return token.Links{Base: base, Keys: keys}
}
