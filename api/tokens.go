package api

import (
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/access"
)

func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.users.User(r.Context(), id); err != nil {
		return err
	}
	ts, err := a.users.Tokens(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, itemsOf(ts))
	return nil
}

// issuedToken is the one response that carries a token in plaintext.
type issuedToken struct {
	Secret string `json:"token"` // shown once; only its hash is stored
	access.Token
}

func (a *API) issueToken(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Label string `json:"label"`
	}
	if err := decodeOptionalJSON(r, &in); err != nil {
		return err
	}
	var (
		plain string
		t     access.Token
	)
	err = a.inAuditedTx(r, func(tx pgx.Tx) error {
		var err error
		plain, t, err = access.New(tx).WithClock(a.now).IssueToken(r.Context(), id, in.Label)
		auditDetail(r, slog.Int64("issued_token_id", t.ID), slog.String("label", t.Label))
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, issuedToken{Secret: plain, Token: t})
	return nil
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	userID, err := pathID(r, "id")
	if err != nil {
		return err
	}
	tokenID, err := pathID(r, "token_id")
	if err != nil {
		return err
	}
	err = a.inAuditedTx(r, func(tx pgx.Tx) error {
		return access.New(tx).WithClock(a.now).RevokeToken(r.Context(), userID, tokenID)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
