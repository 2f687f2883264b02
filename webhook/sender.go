package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// userAgent names Kirje to receivers.
const userAgent = "Kirje-Webhooks/1"

// sender posts signed bodies. Its client follows no redirects, uses no proxy and refuses
// addresses the policy does not allow, at connect time.
type sender struct {
	client *http.Client
}

func newSender(policy Policy, timeout time.Duration) *sender {
	dialer := &net.Dialer{Timeout: timeout, Control: policy.control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect on our behalf, past the address check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &sender{client: &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer, and not a 2xx
		},
	}}
}

// Attempt is the outcome of one POST.
type Attempt struct {
	Status   int           `json:"status,omitempty"` // HTTP status; 0 when none came back
	Error    string        `json:"error,omitempty"`  // why it failed; empty on success
	Duration time.Duration `json:"duration"`
}

// OK reports whether the receiver accepted the message (2xx).
func (a Attempt) OK() bool { return a.Error == "" }

// post sends body to url, signed for msgID at time at.
func (s *sender) post(ctx context.Context, url string, key []byte, msgID string, at time.Time, body []byte) Attempt {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Attempt{Error: err.Error()}
	}
	h := SignedHeaders(key, msgID, at, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("webhook-id", h.ID)
	req.Header.Set("webhook-timestamp", h.Timestamp)
	req.Header.Set("webhook-signature", h.Signature)
	res, err := s.client.Do(req)
	if err != nil {
		return Attempt{Error: cleanError(err), Duration: time.Since(start)}
	}
	defer res.Body.Close()
	// Read a little of the answer for the error message; drain a bounded amount so the
	// connection can be reused.
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	a := Attempt{Status: res.StatusCode, Duration: time.Since(start)}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		a.Error = fmt.Sprintf("HTTP %d: %s", res.StatusCode, printable(snippet, 200))
	}
	return a
}

// cleanError shortens a client error to what an operator needs.
func cleanError(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	return err.Error()
}

// printable keeps up to n valid UTF-8 bytes of b, for an error message.
func printable(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	return string(bytes.ToValidUTF8(bytes.TrimSpace(b), []byte("?")))
}
