package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("pkg: op: %w", err) }
	tests := []struct {
		err    error
		status int
	}{
		{wrap(register.ErrNotFound), 404},
		{wrap(campaign.ErrNotFound), 404},
		{wrap(suppression.ErrNotFound), 404},
		{wrap(access.ErrNotFound), 404},
		{wrap(&register.FieldError{Field: "email", Reason: "bad"}), 422},
		{wrap(&campaign.FilterError{Path: "all[0].op", Msg: "unknown"}), 422},
		{wrap(fmt.Errorf("%w: segment: %w", campaign.ErrInvalid, &campaign.FilterError{Path: "x"})), 422},
		{wrap(suppression.ErrInvalid), 422},
		{wrap(optout.ErrInvalid), 422},
		{wrap(access.ErrInvalid), 422},
		{wrap(register.ErrConflict), 409},
		{wrap(access.ErrConflict), 409},
		{wrap(campaign.ErrInvalidTransition), 409},
		{wrap(campaign.ErrNotDraft), 409},
		{wrap(suppression.ErrUnavailable), 503},
		{wrap(fmt.Errorf("%w: %w", suppression.ErrInvalid, suppression.ErrUnavailable)), 503},
		{wrap(context.DeadlineExceeded), 503},
		{wrap(&http.MaxBytesError{Limit: 10}), 413},
		{badRequest("x"), 400},
		{withDetails(wrap(register.ErrNotFound), 5), 404},
		{errors.New("connection refused at 10.0.0.5"), 500},
	}
	for _, tt := range tests {
		status, msg, _ := classify(tt.err)
		assert.Equal(t, tt.status, status, "%v", tt.err)
		if status == 500 || status == 503 {
			assert.NotContains(t, msg, "10.0.0.5")
			assert.NotContains(t, msg, "pkg: op")
		}
	}
	_, _, details := classify(wrap(&campaign.FilterError{Path: "all[0].op", Msg: "unknown"}))
	assert.Equal(t, map[string]string{"path": "all[0].op", "reason": "unknown"}, details)
	_, _, details = classify(withDetails(wrap(register.ErrNotFound), 5))
	assert.Equal(t, 5, details)
}

// FuzzDecodeJSON: any body is either decoded or refused with a 400 (or 413), never a panic or a
// server error.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"name": "x"}`, `{"name": 1}`, `{"nmae": "x"}`, `{`, `[]`, `null`,
		`{"name": "x"} {}`, `{"name": "x"}garbage`, `{"at": "2026-01-01T00:00:00Z"}`, `{"at": 5}`, "\xff", ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v struct {
			Name string           `json:"name"`
			Tags []string         `json:"tags"`
			At   *struct{ X int } `json:"at"`
		}
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 64)
		err := decodeJSON(r, &v)
		if err == nil {
			return
		}
		status, msg, _ := classify(err)
		if (status != 400 && status != 413) || msg == "" {
			t.Fatalf("body %q: status %d %q", body, status, msg)
		}
	})
}
