package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/register"
)

// runKirje runs a CLI command in-process with the environment getenv and returns its exit
// status, standard output and standard error.
func runKirje(getenv func(string) string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb, getenv)
	return code, out.String(), errb.String()
}

// envOf is an environment of NAME=value pairs; a later pair overrides an earlier one.
func envOf(pairs ...string) func(string) string {
	return (&stack{env: pairs}).getenv
}

// commandFlags is every flag cmd declares, its settings' included.
func commandFlags(cmd *command) []string {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	for _, name := range cmd.settings {
		s, _ := lookupSetting(name)
		fs.String(s.name, s.def, s.usage)
	}
	cmd.setup(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// A command that takes no arguments refuses a stray one with a usage error naming it, before it
// reads any setting.
func TestCommandsWithoutArgumentsRefuseStrayOnes(t *testing.T) {
	t.Parallel()
	var checked []string
	for _, cmd := range commands() {
		if cmd.args != "" {
			continue
		}
		checked = append(checked, cmd.name)
		code, _, stderr := runKirje(envOf(), append(strings.Fields(cmd.name), "stray")...)
		assert.Equal(t, 2, code, "kirje %s: %s", cmd.name, stderr)
		assert.Contains(t, stderr, `unexpected argument "stray"`, "kirje %s", cmd.name)
	}
	for _, name := range []string{"audit list", "brands list", "campaigns list", "migrate", "segments preview",
		"suppressions export", "suppressions list", "users list", "webhooks list"} {
		assert.Contains(t, checked, name)
	}
}

// `kirje help` lists every command; `kirje CMD -h` and `kirje help CMD` show every flag of it.
func TestHelpShowsEveryCommandAndFlag(t *testing.T) {
	t.Parallel()
	code, out, stderr := runKirje(envOf(), "help")
	require.Equal(t, 0, code, stderr)
	for _, cmd := range commands() {
		assert.Contains(t, out, cmd.name)
		words := strings.Fields(cmd.name)
		code, _, usage := runKirje(envOf(), append(words, "-h")...)
		assert.Equal(t, 0, code, "kirje %s -h", cmd.name)
		code, helpOut, _ := runKirje(envOf(), append([]string{"help"}, words...)...)
		assert.Equal(t, 0, code, "kirje help %s", cmd.name)
		assert.ElementsMatch(t, commandFlags(cmd), flagsIn(usage), "kirje %s -h", cmd.name)
		assert.ElementsMatch(t, commandFlags(cmd), flagsIn(helpOut), "kirje help %s", cmd.name)
	}
}

// flagsIn is the flags a usage text describes: its lines "  -name …".
func flagsIn(usage string) []string {
	var names []string
	for _, line := range strings.Split(usage, "\n") {
		if rest, ok := strings.CutPrefix(line, "  -"); ok {
			names = append(names, strings.Fields(rest)[0])
		}
	}
	return names
}

// A bad or missing setting is a usage error that names its variable and flag, however deep in
// the command it is read.
func TestSettingErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	const secret = "SECRET=0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"missing database", nil, []string{"brands", "list"}, "missing required setting KIRJE_DATABASE_URL (or --database-url)"},
		{"missing secret", []string{"KIRJE_DATABASE_URL=postgres://h/db", "KIRJE_REDIS_URL=redis://h",
			"KIRJE_PUBLIC_URL=https://t.example"}, []string{"worker"}, "missing required setting KIRJE_SECRET (or --secret)"},
		{"core setting", []string{"KIRJE_DATABASE_URL=mysql://h/db"}, []string{"brands", "list"}, "setting KIRJE_DATABASE_URL (--database-url): scheme"},
		{"smtp url", []string{"KIRJE_SMTP_URL=smtp://h?tls=bogus"}, []string{"worker"}, `setting KIRJE_SMTP_URL (--smtp-url): mailer: relay "default": invalid: tls="bogus"`},
		{"smtp url flag", nil, []string{"campaigns", "test", "1", "--to", "a@b.example", "--smtp-url", "ftp://h"}, "setting KIRJE_SMTP_URL (--smtp-url):"},
		{"smtp relays syntax", []string{"KIRJE_SMTP_RELAYS=bulk"}, []string{"serve"}, `setting KIRJE_SMTP_RELAYS (--smtp-relays): item 1 is not NAME=URL`},
		{"smtp relays without a name", []string{"KIRJE_SMTP_RELAYS=smtp://user:short@relay.example:587?tls=starttls"}, []string{"serve"},
			`setting KIRJE_SMTP_RELAYS (--smtp-relays): item 1 is not NAME=URL`},
		{"smtp relays with a ';' in a password", []string{"KIRJE_SMTP_RELAYS=bulk=smtp://user:sho;rt@relay.example"}, []string{"serve"},
			`setting KIRJE_SMTP_RELAYS (--smtp-relays): relay "bulk": malformed URL (a ';' in a password must be percent-encoded as %3B)`},
		{"smtp url with a slash in its password", []string{"KIRJE_SMTP_URL=smtp://user:sh/ort@relay.example:587"}, []string{"worker"},
			`setting KIRJE_SMTP_URL (--smtp-url): mailer: relay "default": invalid: malformed URL (a user name or password must be percent-encoded)`},
		{"smtp relay url", []string{"KIRJE_SMTP_RELAYS=bulk=smtp://h?pool=0"}, []string{"run"}, `setting KIRJE_SMTP_RELAYS (--smtp-relays): mailer: relay "bulk"`},
		{"old secrets", []string{"KIRJE_" + secret, "KIRJE_OLD_SECRETS=bogus"}, []string{"inbound", "process", "--dry-run", "-"},
			"setting KIRJE_OLD_SECRETS (--old-secrets): token: old secrets: entry 1 is not ID:SECRET"},
		{"old secret too short", []string{"KIRJE_" + secret, "KIRJE_OLD_SECRETS=2:short"}, []string{"inbound", "process", "--dry-run", "-"},
			"setting KIRJE_OLD_SECRETS (--old-secrets):"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runKirje(envOf(tt.env...), tt.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tt.want)
			assert.NotContains(t, stderr, "short", "a secret is never echoed")
		})
	}
}

// Help shows where a setting's value comes from, but not the values that may hold credentials.
func TestHelpShowsNoCredentials(t *testing.T) {
	t.Parallel()
	code, _, stderr := runKirje(envOf("KIRJE_SECRET=0123456789abcdef0123456789abcdef-short",
		"KIRJE_SMTP_URL=smtp://user:short@relay.example:587", "KIRJE_DATABASE_URL=postgres://kirje:short@db/kirje",
		"KIRJE_HTTP_ADDR=127.0.0.1:9999"), "run", "-h")
	require.Zero(t, code, stderr)
	assert.NotContains(t, stderr, "short")
	assert.Contains(t, stderr, `(default "$KIRJE_SMTP_URL, not shown")`)
	assert.Contains(t, stderr, `(default "127.0.0.1:9999")`, "other settings' values are shown")
}

// Every setting is documented in the README's settings table.
func TestREADMEListsEverySetting(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, s := range settingsTable() {
		assert.Contains(t, string(readme), "| `"+s.env()+"` |", "README.md's settings table lacks %s", s.env())
	}
}

// The admin commands a campaign goes through, from the import of its audience to its
// cancellation, with their table and JSON outputs and their refusals.
func TestCampaignAndContactCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{})
	kirje := func(args ...string) (int, string, string) { return runKirje(s.getenv, args...) }

	// Brands.
	s.kirje(t, "brands", "create", "--name", "acme", "--from", "Acme <news@acme.example>", "--address", "Katu 1, Helsinki")
	var brands []register.Brand
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "brands", "list", "--json")), &brands))
	require.Len(t, brands, 1)
	assert.Equal(t, "acme", brands[0].Name)
	assert.Equal(t, "news@acme.example", brands[0].FromAddress)

	// Contacts: an import with a bad row, then one that updates, as JSON.
	csvFile := filepath.Join(t.TempDir(), "contacts.csv")
	require.NoError(t, os.WriteFile(csvFile, []byte("email,first_name,title\n"+
		"anna@kone.example,Anna,Purchasing Manager\nnot-an-address,Bad,Buyer\npekka@kone.example,Pekka,CEO\n"), 0o600))
	out := s.kirje(t, "contacts", "import", csvFile)
	assert.Contains(t, out, "imported 2, updated 0, rejected 1")
	assert.Contains(t, out, "line 3: not-an-address:")
	var res register.ImportResult
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "contacts", "import", csvFile, "--json")), &res))
	assert.Equal(t, 0, res.Imported)
	assert.Equal(t, 2, res.Updated)
	assert.Equal(t, 1, res.Rejected)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, 3, res.Errors[0].Line)
	assert.Contains(t, s.kirje(t, "contacts", "show", "ANNA@kone.example"), "Anna")
	assert.Contains(t, s.kirje(t, "contacts", "show", "anna@kone.example"), "may receive marketing")

	// Segments.
	filter := `{"field":"title","op":"contains","value":"purchas"}`
	assert.Contains(t, s.kirje(t, "segments", "preview", "--filter", filter), "1 contacts match; 1 may receive marketing")
	var preview campaign.PreviewCounts
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "segments", "preview", "--json")), &preview))
	assert.EqualValues(t, 2, preview.Matching, "the default filter selects everyone")

	// Campaigns: one with a ledger, as the worker would have left it.
	id := strings.TrimSpace(s.kirje(t, "campaigns", "create", "--brand", "acme", "--name", "Spring", "--subject", "Hi",
		"--html", writeFile(t, `<p>Hei {{ .Contact.FirstName }}</p>`)))
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO contacts (email) VALUES ('x2@kone.example'), ('x3@kone.example'), ('x4@kone.example')`)
	require.NoError(t, err)
	_, err = s.db.Pool.Exec(ctx, `
INSERT INTO send_ledger (campaign_id, contact_id, batch, status)
SELECT $1, c.id, 0, u.s FROM contacts c JOIN (VALUES ('anna@kone.example', 'sent'), ('x2@kone.example', 'dropped'), ('x3@kone.example', 'failed'),
	('x4@kone.example', 'pending')) AS u(email, s) ON u.email = c.email`, id)
	require.NoError(t, err)
	var show struct {
		ID       int64
		Status   campaign.Status
		Counts   campaign.Counts
		Estimate *campaign.PreviewCounts
	}
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "campaigns", "show", id, "--json")), &show))
	assert.Equal(t, id, fmt.Sprint(show.ID))
	assert.Equal(t, campaign.StatusDraft, show.Status)
	assert.Equal(t, campaign.Counts{Audience: 4, Sent: 1, Dropped: 1, Failed: 1, Pending: 1}, show.Counts)
	assert.Equal(t, &campaign.PreviewCounts{Matching: 5, Mailable: 5}, show.Estimate, "a draft shows whom it would reach")
	shown := s.kirje(t, "campaigns", "show", id)
	assert.Contains(t, shown, "audience 4: sent 1, dropped 1, bounced 0, failed 1, pending 1")
	assert.Contains(t, shown, "if it started now: 5 contacts match; 5 may receive marketing")
	assert.Contains(t, s.kirje(t, "campaigns", "list"), "Spring")
	var list []campaign.Campaign
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "campaigns", "list", "--json", "--limit", "1")), &list))
	require.Len(t, list, 1)
	assert.Equal(t, "Spring", list[0].Name)

	// A test send, through the SMTP sink.
	assert.Contains(t, s.kirje(t, "campaigns", "test", id, "--to", "tester@acme.example"), "sent 1 test message(s)")
	var sent testSent
	require.NoError(t, json.Unmarshal([]byte(s.kirje(t, "campaigns", "test", id, "--to", "a@acme.example", "--to", "b@acme.example", "--json")), &sent))
	assert.Equal(t, testSent{CampaignID: show.ID, Sent: 2, To: []string{"a@acme.example", "b@acme.example"}}, sent)
	s.sink.Wait(t, 3, 10*time.Second)
	for _, to := range []string{"tester@acme.example", "a@acme.example", "b@acme.example"} {
		require.Len(t, s.sink.To(to), 1, to)
		assert.Contains(t, s.sink.To(to)[0].Header("Subject"), "[TEST]")
	}

	// Transitions, and what the commands refuse.
	future := time.Now().Add(time.Hour).Format(time.RFC3339)
	tests := []struct {
		args []string
		code int
		want string // in standard output on success, in standard error otherwise
	}{
		{[]string{"campaigns", "schedule", id, "--at", future}, 0, "is scheduled for"},
		{[]string{"campaigns", "pause", id}, 0, "is paused"},
		{[]string{"campaigns", "resume", id}, 0, "is scheduled"},
		{[]string{"campaigns", "cancel", id, "--json"}, 0, `"status": "cancelled"`},
		{[]string{"campaigns", "pause", id}, 2, "cancelled"},
		{[]string{"campaigns", "resume", id}, 2, "cancelled"},
		{[]string{"campaigns", "pause"}, 2, "give one campaign ID"},
		{[]string{"campaigns", "show", id, "7"}, 2, "give one campaign ID"},
		{[]string{"campaigns", "show", "999999"}, 2, "not found"},
		{[]string{"campaigns", "list", "--limit", "0"}, 2, "--limit must be 1 to 500"},
		{[]string{"campaigns", "list", "--limit", "-3"}, 2, "--limit must be 1 to 500"},
		{[]string{"suppressions", "list", "--limit", "0"}, 2, "--limit must be 1 to 1000"},
		{[]string{"audit", "list", "--limit", "0"}, 2, "--limit must be 1 to 1000"},
		{[]string{"contacts", "show", "nobody@kone.example"}, 2, "not found"},
		{[]string{"contacts", "show"}, 2, "give one email address"},
		{[]string{"contacts", "import"}, 2, "give one CSV file"},
		{[]string{"segments", "preview", "--filter", `{"field":"shoe size","op":"eq","value":"42"}`}, 2, "shoe size"},
		{[]string{"segments", "preview", "--filter", `{`}, 2, "invalid segment filter"},
		{[]string{"campaigns", "test", id}, 2, "give at least one --to address"},
	}
	for _, tt := range tests {
		code, stdout, stderr := kirje(tt.args...)
		require.Equal(t, tt.code, code, "kirje %v: %s", tt.args, stderr)
		if tt.code == 0 {
			assert.Contains(t, stdout, tt.want, "kirje %v", tt.args)
		} else {
			assert.Contains(t, stderr, tt.want, "kirje %v", tt.args)
		}
	}

	// Old secrets are read when the command opens the app, after the settings.
	code, _, stderr := runKirje(envOf(append(slices.Clone(s.env), "KIRJE_OLD_SECRETS=7")...),
		"campaigns", "test", id, "--to", "a@acme.example")
	assert.Equal(t, 2, code, stderr)
	assert.Contains(t, stderr, "setting KIRJE_OLD_SECRETS (--old-secrets):")
}

// kirje_queue_depth is on /metrics wherever an App serves it: a worker-only process's operations
// port as well as the public server, and registering it for both (kirje run) does not panic.
func TestQueueDepthOnEveryMetricsPort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStack(t, smtptest.Options{Discard: true})
	s.kirje(t, "brands", "create", "--name", "acme", "--from", "Acme <news@acme.example>", "--address", "Katu 1, Helsinki")
	s.kirje(t, "campaigns", "create", "--brand", "acme", "--name", "Later", "--subject", "Hi",
		"--html", writeFile(t, "<p>Hei</p>"), "--at", time.Now().Add(time.Hour).Format(time.RFC3339)) // a queued start task
	cfg, err := configFromEnv(s.getenv)
	require.NoError(t, err)
	metrics := func(h http.Handler) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	for _, withPublic := range []bool{false, true} {
		t.Run(fmt.Sprintf("public server %v", withPublic), func(t *testing.T) {
			app, err := openApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
			require.NoError(t, err)
			t.Cleanup(app.Close)
			if withPublic {
				h, closeHandler, err := app.httpHandler()
				require.NoError(t, err)
				t.Cleanup(closeHandler)
				assert.Contains(t, metrics(h), `kirje_queue_depth{`)
			}
			assert.Contains(t, metrics(app.opsHandler()), `kirje_queue_depth{`)
		})
	}
}

// webhooks add and test take --allow-private's default from KIRJE_WEBHOOK_ALLOW_PRIVATE, which
// the flag overrides.
func TestWebhookCommandsReadAllowPrivate(t *testing.T) {
	t.Parallel()
	s := newStack(t, smtptest.Options{Discard: true})
	const private = "https://10.1.2.3/hook"
	tests := []struct {
		env  string
		args []string
		code int
		want string
	}{
		{"", nil, 2, "not a public address"},
		{"false", nil, 2, "not a public address"},
		{"true", nil, 0, "webhook"},
		{"true", []string{"--allow-private=false"}, 2, "not a public address"},
		{"false", []string{"--allow-private"}, 0, "webhook"},
		{"", []string{"--allow-private"}, 0, "webhook"},
		{"sometimes", nil, 2, "setting KIRJE_WEBHOOK_ALLOW_PRIVATE (--webhook-allow-private)"},
	}
	for _, tt := range tests {
		env := append(slices.Clone(s.env), "KIRJE_WEBHOOK_ALLOW_PRIVATE="+tt.env)
		code, stdout, stderr := runKirje(envOf(env...), append([]string{"webhooks", "add", private}, tt.args...)...)
		require.Equal(t, tt.code, code, "KIRJE_WEBHOOK_ALLOW_PRIVATE=%q %v: %s", tt.env, tt.args, stderr)
		assert.Contains(t, stdout+stderr, tt.want)
	}
}
