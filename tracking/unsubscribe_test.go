package tracking_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/token"
	"github.com/kirje/kirje/tracking"
)

const formType = "application/x-www-form-urlencoded"

// Corporate scanners fetch every link: GET and HEAD, with or without suggestive query strings,
// must leave the list untouched.
func TestUnsubscribeGetAndHeadChangeNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u := path(t, f.recipient(token.LevelIndividual).Unsubscribe())
	for _, target := range []string{u, u + "?action=unsubscribe&scope=all", u + "?List-Unsubscribe=One-Click"} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			w := f.do(method, target, "")
			assert.Equal(t, http.StatusOK, w.Code, "%s %s", method, target)
		}
	}
	assert.Empty(t, f.optouts.log())
	assert.Empty(t, f.optouts.entries(contactAnna))
	assert.Empty(t, f.rec.all(), "the page is not an open or a click")
}

func TestUnsubscribePage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Unsubscribe()), "", "Accept-Language", "en-GB,en;q=0.9")
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.Contains(t, body, `<html lang="en">`)
	assert.Contains(t, body, "a***@y***.fi", "the address is masked")
	assert.NotContains(t, body, "anna.virtanen")
	assert.Contains(t, body, "Kahvila &lt;Aroma&gt;", "the brand name is escaped")
	assert.Regexp(t, `<form method="post">`, body)
	assert.Regexp(t, `value="all" checked`, body, "stopping all marketing is the default")
	assert.Contains(t, body, `value="brand"`)
	assert.Contains(t, body, `<a href="?lang=fi" hreflang="fi" lang="fi">Suomeksi</a>`)

	hdr := w.Header()
	assert.Equal(t, "text/html; charset=utf-8", hdr.Get("Content-Type"))
	assert.Equal(t, "DENY", hdr.Get("X-Frame-Options"))
	assert.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-referrer", hdr.Get("Referrer-Policy"))
	assert.Equal(t, "no-store", hdr.Get("Cache-Control"))
	csp := hdr.Get("Content-Security-Policy")
	assert.Contains(t, csp, "default-src 'none'")
	assert.Contains(t, csp, "frame-ancestors 'none'")
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(body)
	require.Len(t, style, 2)
	sum := sha256.Sum256([]byte(style[1]))
	assert.Contains(t, csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'",
		"the CSP allows exactly the inline style served")
}

func TestUnsubscribePageLanguage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u := path(t, f.recipient(token.LevelIndividual).Unsubscribe())
	tests := []struct{ name, target, accept, want string }{
		{"Finnish browser", u, "fi-FI,fi;q=0.9,en;q=0.8", "fi"},
		{"English preferred", u, "sv;q=1, en-US;q=0.8, fi;q=0.5", "en"},
		{"neither: default Finnish", u, "de-DE", "fi"},
		{"no header", u, "", "fi"},
		{"switch link wins", u + "?lang=en", "fi", "en"},
		{"unknown switch ignored", u + "?lang=xx", "en", "en"},
	}
	for _, tt := range tests {
		w := f.do(http.MethodGet, tt.target, "", "Accept-Language", tt.accept)
		require.Equal(t, http.StatusOK, w.Code, tt.name)
		assert.Contains(t, w.Body.String(), `<html lang="`+tt.want+`">`, tt.name)
	}
	w := f.do(http.MethodGet, u, "", "Accept-Language", "fi")
	assert.Contains(t, w.Body.String(), "Vahvista")
	assert.Contains(t, w.Body.String(), "lähettäjältä <strong>Kahvila &lt;Aroma&gt;</strong>")
}

func TestUnsubscribePageWithoutBrandOffersOnlyAll(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u := f.links.ForRecipient(campaignB, contactAnna, sent, token.LevelIndividual).Unsubscribe()
	w := f.do(http.MethodGet, path(t, u), "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.NotContains(t, w.Body.String(), `value="brand"`)
	w = f.do(http.MethodPost, path(t, u), "action=unsubscribe&scope=brand", "Content-Type", formType)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Empty(t, f.optouts.log())
}

func TestOneClick(t *testing.T) {
	t.Parallel()
	multipartBody := func() (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		require.NoError(t, mw.WriteField("List-Unsubscribe", "One-Click"))
		require.NoError(t, mw.Close())
		return b.String(), mw.FormDataContentType()
	}
	mpBody, mpType := multipartBody()
	tests := []struct{ name, contentType, body string }{
		{"urlencoded", formType, "List-Unsubscribe=One-Click"},
		{"urlencoded with charset", formType + "; charset=utf-8", "List-Unsubscribe=One-Click"},
		{"multipart", mpType, mpBody},
		{"plain text body", "text/plain", "List-Unsubscribe=One-Click\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			w := f.do(http.MethodPost, path(t, f.recipient(token.LevelIndividual).OneClick()), tt.body,
				"Content-Type", tt.contentType, "User-Agent", "Gmail one-click")
			assert.Equal(t, http.StatusOK, w.Code)
			assert.Empty(t, w.Header().Get("Location"), "RFC 8058: no redirect")
			assert.Equal(t, "text/plain; charset=utf-8", w.Header().Get("Content-Type"))
			assert.Less(t, w.Body.Len(), 32)
			assert.Equal(t, []string{"unsubscribe 100 all one-click"}, f.optouts.log())
			assert.Equal(t, []string{tracking.ScopeAll}, f.optouts.entries(contactAnna))
			assert.Equal(t, "192.0.2.1", f.optouts.last.IP)
			assert.Equal(t, "Gmail one-click", f.optouts.last.UserAgent)
			assert.EqualValues(t, campaignA, f.optouts.last.CampaignID)
		})
	}
}

func TestUnsubscribePostThatIsNeitherChangesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u := path(t, f.recipient(token.LevelIndividual).Unsubscribe())
	tests := []struct {
		name, target, contentType, body string
		want                            int
	}{
		{"empty body", u, "", "", http.StatusBadRequest},
		{"empty form", u, formType, "", http.StatusBadRequest},
		{"one-click in the query only", u + "?List-Unsubscribe=One-Click", formType, "", http.StatusBadRequest},
		{"action in the query only", u + "?action=unsubscribe", formType, "x=1", http.StatusBadRequest},
		{"wrong value", u, formType, "List-Unsubscribe=Yes", http.StatusBadRequest},
		{"unknown action", u, formType, "action=delete", http.StatusBadRequest},
		{"unknown scope", u, formType, "action=unsubscribe&scope=world", http.StatusBadRequest},
		{"other text body", u, "text/plain", "unsubscribe me", http.StatusBadRequest},
		{"too large", u, formType, "List-Unsubscribe=One-Click&pad=" + strings.Repeat("x", 20<<10), http.StatusRequestEntityTooLarge},
		{"too large raw", u, "text/plain", strings.Repeat("x", 20<<10), http.StatusRequestEntityTooLarge},
		{"too large multipart", u, "multipart/form-data; boundary=b",
			"--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--b\r\n" +
				"Content-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n" + strings.Repeat("x", 20<<10) + "\r\n--b--\r\n",
			http.StatusRequestEntityTooLarge},
		{"multipart without boundary", u, "multipart/form-data", "List-Unsubscribe=One-Click", http.StatusBadRequest},
	}
	for _, tt := range tests {
		w := f.do(http.MethodPost, tt.target, tt.body, "Content-Type", tt.contentType)
		assert.Equal(t, tt.want, w.Code, tt.name)
	}
	assert.Empty(t, f.optouts.log())
}

func TestPagePostBrandThenUndo(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u := path(t, f.recipient(token.LevelIndividual).Unsubscribe())

	w := f.do(http.MethodPost, u, "action=unsubscribe&scope=brand&lang=en", "Content-Type", formType)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Header().Get("Location"))
	body := w.Body.String()
	assert.Contains(t, body, "You will no longer receive marketing email from Kahvila &lt;Aroma&gt;.")
	assert.Contains(t, body, `name="action" value="undo"`)
	assert.Contains(t, body, `name="scope" value="brand"`)
	assert.Equal(t, []string{"brand:3"}, f.optouts.entries(contactAnna))

	w = f.do(http.MethodPost, u, "action=undo&scope=brand&lang=en", "Content-Type", formType)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "Subscription restored")
	assert.Empty(t, f.optouts.entries(contactAnna))
	assert.Equal(t, []string{"unsubscribe 100 brand page", "undo 100 brand page"}, f.optouts.log())
}

func TestPagePostDefaultsToAllInFinnish(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(http.MethodPost, path(t, f.recipient(token.LevelIndividual).Unsubscribe()), "action=unsubscribe",
		"Content-Type", formType, "Accept-Language", "fi")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "Et saa meiltä enää markkinointisähköpostia.")
	assert.Equal(t, []string{tracking.ScopeAll}, f.optouts.entries(contactAnna))
}

// Aggregate tracking still lets the person opt out: the unsubscribe token keeps the contact.
func TestAggregateUnsubscribeKeepsContact(t *testing.T) {
	t.Parallel()
	f := setup(t)
	w := f.do(http.MethodPost, path(t, f.recipient(token.LevelAggregate).OneClick()), "List-Unsubscribe=One-Click",
		"Content-Type", formType)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []string{tracking.ScopeAll}, f.optouts.entries(contactAnna))
}

func TestUnsubscribeFailuresClaimNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		break_     func(*fixture)
		body, want string
		status     int
	}{
		{"one-click, commit fails", func(f *fixture) { f.optouts.fail = errors.New("pg: deadlock") },
			"List-Unsubscribe=One-Click", "try again", http.StatusServiceUnavailable},
		{"page, commit fails", func(f *fixture) { f.optouts.fail = errors.New("pg: deadlock") },
			"action=unsubscribe&lang=en", "nothing has been confirmed", http.StatusServiceUnavailable},
		{"page, lookup fails", func(f *fixture) { f.recipients.fail = errors.New("pg: timeout") },
			"action=unsubscribe&lang=en", "nothing has been confirmed", http.StatusServiceUnavailable},
		{"page, contact gone", func(f *fixture) { delete(f.recipients.byKey, [2]int64{campaignA, contactAnna}) },
			"action=unsubscribe&lang=en", "not valid", http.StatusNotFound},
		{"one-click, contact gone", func(f *fixture) { delete(f.recipients.byKey, [2]int64{campaignA, contactAnna}) },
			"List-Unsubscribe=One-Click", "not found", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			tt.break_(f)
			w := f.do(http.MethodPost, path(t, f.recipient(token.LevelIndividual).Unsubscribe()), tt.body,
				"Content-Type", formType)
			assert.Equal(t, tt.status, w.Code)
			assert.Contains(t, w.Body.String(), tt.want)
			for _, claim := range []string{"Done", "Unsubscribed", "no longer receive"} {
				assert.NotContains(t, w.Body.String(), claim)
			}
			assert.NotContains(t, w.Body.String(), "pg:", "errors leak no internals")
			assert.Empty(t, f.optouts.entries(contactAnna))
		})
	}
}

func TestUnsubscribeTokenWithoutContactIsInvalid(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tok := f.keys.Sign(token.Claims{Kind: token.Unsubscribe, CampaignID: campaignA})
	assert.Equal(t, http.StatusNotFound, f.do(http.MethodGet, "/u/"+tok, "").Code)
	assert.Equal(t, http.StatusNotFound, f.do(http.MethodPost, "/u/"+tok, "List-Unsubscribe=One-Click", "Content-Type", formType).Code)
	assert.Empty(t, f.optouts.log())
}

// Unsubscribe links never expire: a message read years after it was sent, or after the key that
// signed it was rotated out of use for new mail, still opts its reader out.
func TestUnsubscribeLinksNeverExpire(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.clock.Set(sent.AddDate(7, 0, 0))
	w := f.do(http.MethodGet, path(t, f.recipient(token.LevelIndividual).Unsubscribe()), "")
	assert.Equal(t, http.StatusOK, w.Code, "the page of a seven-year-old message")
	w = f.do(http.MethodPost, path(t, f.recipient(token.LevelIndividual).OneClick()), "List-Unsubscribe=One-Click",
		"Content-Type", formType)
	assert.Equal(t, http.StatusOK, w.Code, "one-click from a seven-year-old message")
	assert.Equal(t, []string{tracking.ScopeAll}, f.optouts.entries(contactAnna))

	// New mail is signed with key 2; key 1 is kept only to verify what it signed.
	rotated, err := token.NewKeyring(2, map[byte][]byte{
		1: []byte("test-secret-test-secret-test-secret!"), 2: []byte("a-newer-secret-a-newer-secret-0123"),
	})
	require.NoError(t, err)
	g := setup(t, func(c *tracking.Config) { c.Keys = rotated })
	w = g.do(http.MethodPost, path(t, f.recipient(token.LevelIndividual).OneClick()), "List-Unsubscribe=One-Click",
		"Content-Type", formType)
	assert.Equal(t, http.StatusOK, w.Code, "a link signed with the previous key")
	assert.Equal(t, []string{tracking.ScopeAll}, g.optouts.entries(contactAnna))
}

// An undo with no unsubscribe to reverse (a repeated click, or a hand-made request) says so
// instead of claiming the subscription was restored, and changes nothing.
func TestUndoWithNothingToUndoSaysSo(t *testing.T) {
	t.Parallel()
	f := setup(t)
	u := path(t, f.recipient(token.LevelIndividual).Unsubscribe())
	for _, tt := range []struct{ lang, title, undone string }{
		{"en", "Nothing to undo", "Subscription restored"},
		{"fi", "Ei kumottavaa", "Tilaus palautettu"},
	} {
		w := f.do(http.MethodPost, u, "action=undo&scope=all&lang="+tt.lang, "Content-Type", formType)
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Contains(t, w.Body.String(), "<title>"+tt.title)
		assert.Contains(t, w.Body.String(), "<h1>"+tt.title+"</h1>")
		assert.NotContains(t, w.Body.String(), tt.undone)
	}
	assert.Empty(t, f.optouts.log(), "nothing was undone")
}
