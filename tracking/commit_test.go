package tracking_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/token"
)

// Every acknowledgement comes after the commit it acknowledges: when the event becomes durable
// or the opt-out commits, not a byte of the response has been written.
func TestResponsesFollowCommit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, body string
		target             func(token.Recipient) string
		want               int
	}{
		{"open", "GET", "", token.Recipient.Open, http.StatusOK},
		{"click", "GET", "", func(r token.Recipient) string { return r.Click(1) }, http.StatusFound},
		{"one-click", "POST", "List-Unsubscribe=One-Click", token.Recipient.OneClick, http.StatusOK},
		{"page", "POST", "action=unsubscribe&scope=all", token.Recipient.Unsubscribe, http.StatusOK},
		{"undo", "POST", "action=undo&scope=all", token.Recipient.Unsubscribe, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			w := httptest.NewRecorder()
			committed := false
			check := func() {
				committed = true
				assert.Zero(t, w.Body.Len(), "body written before the commit")
				assert.Empty(t, w.Header().Get("Content-Type"), "headers prepared before the commit")
				assert.Empty(t, w.Header().Get("Location"), "redirect prepared before the commit")
			}
			f.rec.onRecord, f.optouts.onCommit = check, check
			r := httptest.NewRequest(tt.method, path(t, tt.target(f.recipient(token.LevelIndividual))), strings.NewReader(tt.body))
			r.Header.Set("Content-Type", formType)
			f.h.ServeHTTP(w, r)
			assert.True(t, committed)
			assert.Equal(t, tt.want, w.Code)
		})
	}
}

// Over a real connection: one-click answers 200 with no redirect to follow, and HEAD on the
// unsubscribe URL returns headers only and changes nothing.
func TestOverHTTP(t *testing.T) {
	t.Parallel()
	f := setup(t)
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u := srv.URL + path(t, f.recipient(token.LevelIndividual).Unsubscribe())

	resp, err := client.Head(u)
	if assert.NoError(t, err) {
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	assert.Empty(t, f.optouts.log())

	resp, err = client.Post(u, formType, strings.NewReader("List-Unsubscribe=One-Click"))
	if assert.NoError(t, err) {
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"))
		assert.Empty(t, resp.Header.Values("Set-Cookie"))
	}
	assert.Equal(t, []string{"unsubscribe 100 all one-click"}, f.optouts.log())
}
