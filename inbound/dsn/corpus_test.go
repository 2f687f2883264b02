package dsn_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound/dsn"
)

// corpusDir holds hand-written bounces and reports from different MTAs; expect.json says what
// each must parse to. The pipeline tests in package inbound use the same corpus.
const corpusDir = "../testdata/corpus"

type expectation struct {
	File       string `json:"file"`
	MTA        string `json:"mta"`
	Malformed  bool   `json:"malformed"`
	Kind       string `json:"kind"`
	Recipients []struct {
		Address string `json:"address"`
		Verdict string `json:"verdict"`
		Status  string `json:"status"`
	} `json:"recipients"`
	Original map[string]bool `json:"original"`
}

func loadExpectations(t *testing.T) []expectation {
	t.Helper()
	b, err := os.ReadFile("../testdata/expect.json")
	require.NoError(t, err)
	var out []expectation
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// Placeholder values for the corpus: token-shaped, not valid tokens (this package does not
// verify them).
const (
	fakeVERPToken   = "aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qa"
	fakeMailtoToken = "aebqgbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qb"
	fakeUnsubToken  = "AQMBAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
	fakeMessageID   = "k3n2abcdefghijklmnopq@acme.example"
)

func fill(raw string) string {
	return strings.NewReplacer(
		"{{VERP}}", "b+"+fakeVERPToken+"@bounce.acme.example",
		"{{MAILTO}}", "u+"+fakeMailtoToken+"@bounce.acme.example",
		"{{UNSUB}}", fakeUnsubToken,
		"{{MSGID}}", fakeMessageID,
		"{{CAMPAIGN}}", "42",
	).Replace(raw)
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	exps := loadExpectations(t)
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	require.NoError(t, err)
	require.Len(t, exps, len(files), "every corpus file has an expectation and no expectation lacks its file")
	for _, e := range exps {
		t.Run(e.File, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(corpusDir, e.File))
			require.NoError(t, err)
			rep, err := dsn.Parse([]byte(fill(string(raw))), dsn.Limits{})
			if e.Malformed {
				require.ErrorIs(t, err, dsn.ErrMalformed)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, e.Kind, string(rep.Kind), "kind (%s)", e.MTA)
			// A report forwarded as an attachment is read from the attachment; other forwarded mail
			// stays what it is.
			assert.Equal(t, strings.HasPrefix(e.File, "forwarded-") && e.Kind != "other", rep.Forwarded, "forwarded")
			require.Len(t, rep.Recipients, len(e.Recipients), "recipients: %+v", rep.Recipients)
			for i, want := range e.Recipients {
				got := rep.Recipients[i]
				assert.Equal(t, want.Address, got.Address, "recipient %d address", i)
				assert.Equal(t, want.Verdict, string(got.Verdict), "recipient %d verdict (rule %s, diagnostic %q)", i, got.Rule, got.Diagnostic)
				if want.Status != "" {
					assert.Equal(t, want.Status, got.Status, "recipient %d status", i)
				}
				assert.NotEmpty(t, got.Rule, "every verdict names its rule")
			}
			checkOriginal(t, e.Original, rep.Original)
		})
	}
}

func checkOriginal(t *testing.T, want map[string]bool, o dsn.Original) {
	t.Helper()
	if want["message_id"] {
		assert.Equal(t, fakeMessageID, o.MessageID, "original Message-ID")
	}
	if want["campaign"] {
		assert.Equal(t, "42", o.Campaign, "original X-Kirje-Campaign")
	}
	if want["mailto"] {
		assert.Contains(t, o.Mailto, fakeMailtoToken, "mailto token")
	}
	if want["unsubscribe"] {
		assert.Contains(t, o.Unsubscribe, fakeUnsubToken, "unsubscribe URL token")
	}
	if want["return_path"] {
		assert.Contains(t, o.ReturnPath, fakeVERPToken, "return path token")
	}
}
