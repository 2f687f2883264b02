package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/access"
)

// me is who the token belongs to and what they may do.
type me struct {
	User        access.User         `json:"user"`
	Token       access.Token        `json:"token"`
	Permissions []access.Permission `json:"permissions"`
}

func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	writeJSON(w, http.StatusOK, me{User: c.user, Token: c.token, Permissions: access.Grants(c.user.Role)})
	return nil
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := a.users.Users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, itemsOf(us))
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.users.User(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

type userInput struct {
	Name string      `json:"name"`
	Role access.Role `json:"role"`
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var in userInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	var u access.User
	err := a.inAuditedTx(r, func(tx pgx.Tx) error {
		var err error
		if u, err = access.New(tx).WithClock(a.now).CreateUser(r.Context(), in.Name, in.Role); err != nil {
			return err
		}
		auditTarget(r, fmt.Sprintf("users/%d", u.ID))
		auditDetail(r, slog.String("name", u.Name), slog.String("role", string(u.Role)))
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

// userPatch changes a user's role and/or whether they are disabled; absent fields stay.
type userPatch struct {
	Role     *access.Role `json:"role"`
	Disabled *bool        `json:"disabled"`
}

// updateUser applies both changes in one transaction, so a refused one (the last admin) leaves
// the other undone too.
func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p userPatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	var u access.User
	err = a.inAuditedTx(r, func(tx pgx.Tx) error {
		s := access.New(tx).WithClock(a.now)
		var err error
		if u, err = s.User(r.Context(), id); err != nil {
			return err
		}
		if p.Role != nil {
			if u, err = s.SetRole(r.Context(), id, *p.Role); err != nil {
				return err
			}
		}
		switch {
		case p.Disabled == nil:
		case *p.Disabled:
			u, err = s.DisableUser(r.Context(), id)
		default:
			u, err = s.EnableUser(r.Context(), id)
		}
		auditDetail(r, slog.String("role", string(u.Role)), slog.Bool("disabled", u.Disabled))
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}
