package inbound_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/inbound"
	"github.com/kirje/kirje/internal/fixture"
	"github.com/kirje/kirje/internal/pgtest"
	"github.com/kirje/kirje/internal/ratelimit"
	"github.com/kirje/kirje/internal/redistest"
	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/worker"
)

// postfix is a throwaway Postfix instance: its own configuration, queue and log in a temporary
// directory, an SMTP port on loopback, and transport maps that send each test domain to a
// loopback port. It must run as root (Postfix's master drops to the postfix user itself).
type postfix struct {
	dir, addr string
}

// startPostfix configures and starts an instance; routes maps domains to host:port next hops.
func startPostfix(t *testing.T, routes map[string]string) *postfix {
	t.Helper()
	if _, err := exec.LookPath("postfix"); err != nil {
		t.Fatalf("KIRJE_TEST_POSTFIX=1 but postfix is not installed (scripts/postfix-e2e.sh installs it): %v", err)
	}
	owner, err := user.Lookup("postfix")
	require.NoError(t, err, "the postfix user (from the Debian package)")
	dir, err := os.MkdirTemp("", "kirje-postfix-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(dir, 0o755)) // the postfix user walks into the queue below it
	for _, sub := range []string{"etc", "queue", "data"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, sub), 0o755))
	}
	uid, _ := strconv.Atoi(owner.Uid)
	require.NoError(t, os.Chown(filepath.Join(dir, "data"), uid, -1))

	pf := &postfix{dir: dir, addr: freeAddr(t)}
	var domains, transports []string
	for domain, next := range routes {
		domains = append(domains, domain)
		host, port, _ := net.SplitHostPort(next)
		transports = append(transports, fmt.Sprintf("%s=smtp:[%s]:%s", domain, host, port))
	}
	main := fmt.Sprintf(postfixMainCF, dir, strings.Join(domains, " "), strings.Join(transports, ", "))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "etc", "main.cf"), []byte(main), 0o644))
	master := pf.addr + " inet n - n - - smtpd\n" + postfixMasterCF
	require.NoError(t, os.WriteFile(filepath.Join(dir, "etc", "master.cf"), []byte(master), 0o644))

	if out, err := pf.cmd("start"); err != nil {
		t.Fatalf("postfix start: %v\n%s\n%s", err, out, pf.log())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("postfix log:\n%s", pf.log())
		}
		_, _ = pf.cmd("stop")
		_ = os.RemoveAll(dir)
	})
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", pf.addr)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "postfix smtpd on %s", pf.addr)
	return pf
}

func (pf *postfix) cmd(action string) ([]byte, error) {
	return exec.Command("postfix", "-c", filepath.Join(pf.dir, "etc"), action).CombinedOutput()
}

func (pf *postfix) log() string {
	b, _ := os.ReadFile(filepath.Join(pf.dir, "maillog"))
	return string(b)
}

// postfixMainCF: a relay for the test domains only (everything else is refused), no local
// delivery, no DNS (next hops are [ip]:port), no TLS, and a queue lifetime of 0 so a temporary
// failure is returned after the first attempt rather than retried for days. %[1]s is the
// instance directory, %[2]s the relay domains, %[3]s the transport map entries.
const postfixMainCF = `compatibility_level = 3.6
queue_directory = %[1]s/queue
data_directory = %[1]s/data
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.kirje.test
mydomain = kirje.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = %[2]s
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
transport_maps = inline:{ %[3]s }
default_transport = error:no route from this test relay
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
smtputf8_enable = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
`

// postfixMasterCF is the services the relay needs, none chrooted.
const postfixMasterCF = `cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
showq     unix  n - n - - showq
postlog   unix-dgram n - n - 1 postlogd
pickup    unix  n - n 60 1 pickup
`

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// A campaign sent by the worker through a real Postfix relay to addresses the next hop refuses:
// Postfix writes real DSNs to the VERP return paths, routes them to Kirje's listener, and the
// verdicts take effect — the missing mailbox is suppressed, the full one and the policy block
// are recorded and not suppressed. Opt-in: KIRJE_TEST_POSTFIX=1, as root (scripts/postfix-e2e.sh).
func TestCampaignThroughPostfixReturnsDSNsThatSuppress(t *testing.T) {
	if os.Getenv("KIRJE_TEST_POSTFIX") != "1" {
		t.Skip("needs a local Postfix run as root: set KIRJE_TEST_POSTFIX=1 (scripts/postfix-e2e.sh does)")
	}
	t.Parallel()
	ctx := context.Background()
	db, rd := pgtest.New(t), redistest.New(t)
	list, err := suppression.New(db.Pool, suppression.Config{RedisURL: rd.URL, Prefix: rd.Prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = list.Close() })
	require.NoError(t, list.EnsureReady(ctx))
	keys := testKeys(t)

	// The recipients' mail server: it refuses three of the four addresses at RCPT.
	replies := map[string]*smtp.SMTPError{
		"gone@dead.test":    {Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "<gone@dead.test>: Recipient address rejected: User unknown"},
		"full@dead.test":    {Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "<full@dead.test>: Mailbox full"},
		"blocked@dead.test": {Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Service unavailable; client host blocked using zen.spamhaus.org"},
	}
	sink := smtptest.Start(t, smtptest.Options{Rcpt: func(to string) error {
		if r, ok := replies[to]; ok {
			return r
		}
		return nil
	}})

	proc, err := inbound.NewProcessor(inbound.Config{Keys: keys}, inbound.Deps{DB: db.Pool, Suppression: list, Optout: optout.New(db.Pool, list)})
	require.NoError(t, err)
	inboundAddr := listen(t, proc, inbound.ListenerConfig{Domain: "bounce.kirje.test"})
	pf := startPostfix(t, map[string]string{"dead.test": sink.Addr, "bounce.kirje.test": inboundAddr})

	relay, err := mailer.ParseRelay("default", "smtp://"+pf.addr+"?pool=2")
	require.NoError(t, err)
	pool := mailer.NewPool(relay, nil)
	t.Cleanup(func() { _ = pool.Close() })
	base, _ := url.Parse("https://t.kirje.test")
	w, err := worker.New(worker.Config{Namespace: rd.Prefix, MailDomain: "bounce.kirje.test", VERP: true, PollInterval: 20 * time.Millisecond},
		worker.Deps{DB: db.Pool, Redis: rd.Client, Suppression: list, Limiter: ratelimit.New(rd.Client, rd.Prefix+"rl:"),
			Relays: map[string]*mailer.Pool{"default": pool}, Links: tokenLinks(base, keys)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Close() })
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(runCtx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })

	brand := fixture.Brand(t, db.Pool, "acme")
	for _, e := range []string{"gone@dead.test", "full@dead.test", "blocked@dead.test", "fine@dead.test"} {
		fixture.Contact(t, db.Pool, e, "Buyer")
	}
	c := fixture.Scheduled(t, db.Pool, brand, "", time.Now())
	require.NoError(t, worker.NewScheduler(db.Pool, rd.Client, rd.Prefix).Scheduled(ctx, c))

	count := func(sql string, args ...any) int {
		var n int
		require.NoError(t, db.Pool.QueryRow(ctx, sql, args...).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM events WHERE type IN ('bounce', 'soft_bounce', 'block') AND data->>'source' = 'smtp'`) == 3
	}, 60*time.Second, 100*time.Millisecond, "three DSNs from Postfix reach the listener")

	suppressed := func(email string) bool {
		v, err := list.Check(ctx, brand.ID, email)
		require.NoError(t, err)
		return v.Suppressed
	}
	assert.True(t, suppressed("gone@dead.test"), "hard bounce")
	assert.False(t, suppressed("full@dead.test"), "one soft bounce")
	assert.False(t, suppressed("blocked@dead.test"), "a block of the sender")
	assert.False(t, suppressed("fine@dead.test"))
	assert.Len(t, sink.To("fine@dead.test"), 1, "the deliverable address got its message")
	for typ, email := range map[string]string{"bounce": "gone@dead.test", "soft_bounce": "full@dead.test", "block": "blocked@dead.test"} {
		assert.Equal(t, 1, count(`SELECT count(*) FROM events e JOIN contacts k ON k.id = e.contact_id
WHERE e.type = $1 AND k.email = $2 AND e.campaign_id = $3 AND e.data->>'match' = 'verp' AND e.data->>'report' = 'dsn'
  AND e.data->>'reporting_mta' = 'relay.kirje.test'`, typ, email, c.ID), "%s event for %s, from Postfix's DSN", typ, email)
	}
	var status campaign.SendStatus
	require.NoError(t, db.Pool.QueryRow(ctx, `SELECT l.status FROM send_ledger l JOIN contacts k ON k.id = l.contact_id WHERE k.email = 'gone@dead.test'`).Scan(&status))
	assert.Equal(t, campaign.SendSent, status, "Postfix accepted it; the later bounce is an event")
	assert.Zero(t, count(`SELECT count(*) FROM inbound_quarantine`))
}
