package feed_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/events"
	"github.com/kirje/kirje/feed"
)

func serve(t *testing.T, b bundle) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/events", feed.Handler(b.db.Pool, nil))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, query url.Values, accept string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/events?"+query.Encode(), nil)
	require.NoError(t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

func TestHandlerServesJSONPagesAndNDJSON(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 12 {
		typ := events.Open
		if i%3 == 0 {
			typ = events.Click
		}
		insert(t, b.db.Pool, events.Event{Type: typ, CampaignID: b.campaignID, ContactID: b.contactID, LinkID: b.linkID})
	}
	readAll(t, b.db.Pool, feed.Query{}) // waits until the horizon has passed them
	srv := serve(t, b)

	res := get(t, srv, url.Values{"limit": {"5"}}, "")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"))
	var page struct {
		Events []map[string]any `json:"events"`
		Next   string           `json:"next"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&page))
	require.Len(t, page.Events, 5)
	assert.Equal(t, page.Events[4]["cursor"], page.Next)
	assert.Equal(t, "click", page.Events[0]["type"])
	assert.Equal(t, "maija@asiakas.example", page.Events[0]["contact"].(map[string]any)["email"])
	assert.Equal(t, b.linkURL, page.Events[0]["link"].(map[string]any)["url"])
	_, err := time.Parse(time.RFC3339Nano, page.Events[0]["time"].(string))
	require.NoError(t, err)

	for name, req := range map[string]struct {
		q      url.Values
		accept string
	}{
		"accept": {url.Values{"after": {page.Next}}, "application/json, application/x-ndjson;q=0.9"},
		"format": {url.Values{"after": {page.Next}, "format": {"ndjson"}}, ""},
	} {
		res := get(t, srv, req.q, req.accept)
		require.Equal(t, http.StatusOK, res.StatusCode, name)
		assert.Equal(t, feed.ContentTypeNDJSON, res.Header.Get("Content-Type"), name)
		var lines []feed.Event
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			var e feed.Event
			require.NoError(t, json.Unmarshal(sc.Bytes(), &e), name)
			lines = append(lines, e)
		}
		require.NoError(t, sc.Err())
		assert.Len(t, lines, 7, name)
	}

	res = get(t, srv, url.Values{"types": {"click"}, "format": {"ndjson"}, "limit": {"3"}}, "")
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, 3, countLines(body))
}

func TestHandlerRefusesBadParameters(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := serve(t, b)
	for name, q := range map[string]url.Values{
		"cursor":   {"after": {"12345"}},
		"type":     {"types": {"open,opened"}},
		"limit":    {"limit": {"-1"}},
		"limit nr": {"limit": {"ten"}},
		"format":   {"format": {"xml"}},
	} {
		res := get(t, srv, q, "")
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, name)
		var body map[string]string
		require.NoError(t, json.NewDecoder(res.Body).Decode(&body), name)
		assert.NotEmpty(t, body["error"], name)
	}
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
