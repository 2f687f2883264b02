package api

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/register"
)

// A contact's marketing bans and consents, and objections to direct marketing.

func (a *API) listPermissions(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.register.Contact(r.Context(), id); err != nil {
		return err
	}
	ps, err := a.register.Permissions(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, itemsOf(ps))
	return nil
}

type permissionInput struct {
	Action string `json:"action"` // ban, unban, consent, withdraw
	Source string `json:"source"` // how it came to us; "api" when empty
	Note   string `json:"note"`
}

// recordPermission records a ban, unban, consent or withdrawal with the calling user as actor.
// A ban here is the register's only: to stop all mail at once, including other brands' lists and
// later imports, record an objection.
func (a *API) recordPermission(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in permissionInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Source) == "" {
		in.Source = "api"
	}
	var p register.Permission
	err = a.inAuditedTx(r, func(tx pgx.Tx) error {
		var err error
		p, err = register.New(tx).RecordPermission(r.Context(), id, in.Action, in.Source, actor(r), in.Note)
		auditDetail(r, slog.String("permission", p.Action), slog.Int64("permission_id", p.ID))
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

// objection records a data subject's objection to direct marketing (GDPR Art. 21): the same
// path as an unsubscribe, for all marketing, committed before the answer. It answers the contact
// as it is afterwards (banned).
func (a *API) objection(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Source string `json:"source"` // how the objection reached us, e.g. "requested by email"
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Source) == "" {
		return &requestError{status: http.StatusUnprocessableEntity, msg: "source is required: how the objection reached us",
			details: map[string]string{"field": "source", "reason": "required"}}
	}
	// optout treats an unknown contact as already erased and succeeds; staff must hear of a
	// wrong ID instead.
	if _, err := a.register.Contact(r.Context(), id); err != nil {
		return err
	}
	err = a.optouts.Unsubscribe(r.Context(), optout.Request{ContactID: id, Scope: optout.ScopeAll,
		Source: in.Source, Actor: actor(r)}) // no IP: the staff member's is not the person's
	if err != nil {
		return err
	}
	v, err := a.contactView(r, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
