package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/register"
)

// contactView is a contact with its company spelled out.
type contactView struct {
	register.Contact
	Company *register.Company `json:"company,omitempty"`
}

// listContacts pages through the register in ID order, or with ?email= finds the one contact
// with that address (a list of zero or one, so the response has one shape).
func (a *API) listContacts(w http.ResponseWriter, r *http.Request) error {
	if email := r.URL.Query().Get("email"); email != "" {
		c, err := a.register.ContactByEmail(r.Context(), email)
		var found []register.Contact
		switch {
		case err == nil:
			found = append(found, c)
		case !errors.Is(err, register.ErrNotFound):
			return err
		}
		writeJSON(w, http.StatusOK, newPage(found, 0, contactID))
		return nil
	}
	after, limit, err := pageParams(r, 1000)
	if err != nil {
		return err
	}
	cs, err := a.register.ListContacts(r.Context(), register.ListOptions{AfterID: after, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(cs, limit, contactID))
	return nil
}

func contactID(c register.Contact) int64 { return c.ID }

func (a *API) getContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
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

func (a *API) contactView(r *http.Request, id int64) (contactView, error) {
	c, err := a.register.Contact(r.Context(), id)
	if err != nil {
		return contactView{}, err
	}
	v := contactView{Contact: c}
	if c.CompanyID != 0 {
		co, err := a.register.Company(r.Context(), c.CompanyID)
		if err != nil && !errors.Is(err, register.ErrNotFound) {
			return contactView{}, err
		}
		if err == nil {
			v.Company = &co
		}
	}
	return v, nil
}

// upsertContact creates the contact with the body's email (201) or updates it (200) with the
// body's non-empty fields, as an import row would.
func (a *API) upsertContact(w http.ResponseWriter, r *http.Request) error {
	var in register.ContactInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c, created, err := a.register.UpsertContact(r.Context(), in)
	if err != nil {
		return err
	}
	auditTarget(r, fmt.Sprintf("contacts/%d", c.ID))
	auditDetail(r, slog.Bool("created", created))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
	return nil
}

// rectified is a rectification's answer: the contact as it is now and the fields that changed.
type rectified struct {
	Contact register.Contact `json:"contact"`
	Changed []string         `json:"changed"`
}

// rectifyContact applies a partial update (only fields present change; "" clears one).
func (a *API) rectifyContact(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p register.ContactPatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	var ch register.ContactChange
	err = a.inAuditedTx(r, func(tx pgx.Tx) error {
		var err error
		if ch, err = register.New(tx).UpdateContact(r.Context(), id, p); err != nil {
			return err
		}
		if ch.Fields == nil {
			ch.Fields = []string{}
		}
		auditDetail(r, slog.Any("changed", ch.Fields)) // names only: the values are personal data
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rectified{Contact: ch.After, Changed: ch.Fields})
	return nil
}
