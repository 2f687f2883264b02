package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/privacy"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// errorStatus maps a domain sentinel to a status. message, when set, replaces the error's own
// text (for errors whose text is no use to, or not for, the caller).
type errorStatus struct {
	err     error
	status  int
	message string
}

// errorTable is the one place domain errors become HTTP statuses; the first match wins.
// 400 means the request is malformed (bad JSON, unknown field, bad parameter: requestError);
// 422 means it is well-formed but breaks a rule of the domain.
func errorTable() []errorStatus {
	return []errorStatus{
		{suppression.ErrUnavailable, http.StatusServiceUnavailable, "the suppression list is unavailable; try again shortly"},
		{context.DeadlineExceeded, http.StatusServiceUnavailable, "the request timed out"},

		{register.ErrNotFound, http.StatusNotFound, ""},
		{campaign.ErrNotFound, http.StatusNotFound, ""},
		{suppression.ErrNotFound, http.StatusNotFound, ""},
		{access.ErrNotFound, http.StatusNotFound, ""},
		{privacy.ErrNotFound, http.StatusNotFound, ""},

		{register.ErrConflict, http.StatusConflict, ""},
		{access.ErrConflict, http.StatusConflict, ""},
		{campaign.ErrInvalidTransition, http.StatusConflict, ""},
		{campaign.ErrNotDraft, http.StatusConflict, ""},

		{register.ErrInvalid, http.StatusUnprocessableEntity, ""},
		{campaign.ErrInvalidFilter, http.StatusUnprocessableEntity, ""},
		{campaign.ErrInvalid, http.StatusUnprocessableEntity, ""},
		{suppression.ErrInvalid, http.StatusUnprocessableEntity, ""},
		{optout.ErrInvalid, http.StatusUnprocessableEntity, ""},
		{access.ErrInvalid, http.StatusUnprocessableEntity, ""},
		{privacy.ErrInvalid, http.StatusUnprocessableEntity, ""},
	}
}

// requestError is a problem the API finds in the request itself: malformed JSON, an unknown
// field, a bad parameter (400), or a content type it does not take (415).
type requestError struct {
	status    int
	msg       string
	details   any
	emptyBody bool // the body was empty: fine where it is optional
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// detailedError gives an error answer details of the handler's choosing, such as an import's
// counts so far; its status and message are the wrapped error's.
type detailedError struct {
	err     error
	details any
}

func (e *detailedError) Error() string { return e.err.Error() }
func (e *detailedError) Unwrap() error { return e.err }

func withDetails(err error, details any) error { return &detailedError{err: err, details: details} }

// classify returns the status, message and details an error is answered with.
func classify(err error) (status int, msg string, details any) {
	status, msg, details = classifyStatus(err)
	var de *detailedError
	if errors.As(err, &de) {
		details = de.details
	}
	return status, msg, details
}

func classifyStatus(err error) (status int, msg string, details any) {
	var re *requestError
	if errors.As(err, &re) {
		return re.status, re.msg, re.details
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit), nil
	}
	for _, m := range errorTable() {
		if errors.Is(err, m.err) {
			if m.message != "" {
				return m.status, m.message, nil
			}
			return m.status, err.Error(), errorDetails(err)
		}
	}
	return http.StatusInternalServerError, "internal error; the server log has the details", nil
}

// errorDetails says which part of the input an error is about, when the domain says so.
func errorDetails(err error) any {
	var fe *register.FieldError
	if errors.As(err, &fe) {
		return map[string]string{"field": fe.Field, "reason": fe.Reason}
	}
	var filt *campaign.FilterError
	if errors.As(err, &filt) {
		return map[string]string{"path": filt.Path, "reason": filt.Msg}
	}
	return nil
}

// fail answers err. Server-side failures are logged with the error; the caller sees only a
// generic message.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, details := classify(err)
	if status >= 500 {
		level := slog.LevelError
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			level = slog.LevelDebug // the client went away
		}
		c := callerOf(r.Context())
		a.logger.LogAttrs(r.Context(), level, "api: request failed", slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.String("user", c.user.Name), slog.Int("status", status),
			slog.String("error", err.Error()))
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	writeError(w, status, msg, details)
}
