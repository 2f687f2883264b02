package api

import (
	"net/http"
	"strings"
)

// Data subjects' requests by address (package privacy). Each writes its audit entry itself, in
// the transaction of what it reads or changes, naming the subject by address hash only.

// exportSubject answers everything held about an address (GDPR Art. 15) as one JSON document, as
// an attachment: POST {"email": "…"}, or GET ?email=, which puts the address in URLs and access
// logs. The audit entry is committed before the document is sent.
func (a *API) exportSubject(w http.ResponseWriter, r *http.Request) error {
	var email string
	if r.Method == http.MethodPost {
		var in struct {
			Email string `json:"email"`
		}
		if err := decodeJSON(r, &in); err != nil {
			return err
		}
		if email = strings.TrimSpace(in.Email); email == "" {
			return badRequest("email is required")
		}
	} else if email = strings.TrimSpace(r.URL.Query().Get("email")); email == "" {
		return badRequest("query parameter email is required (or POST {\"email\": …}, which keeps it out of URLs)")
	}
	doc, err := a.privacy.Export(r.Context(), email, auditBy(r))
	if err != nil {
		return err
	}
	auditWritten(r)
	w.Header().Set("Content-Disposition", `attachment; filename="subject-`+doc.AddressHash[:12]+`.json"`)
	writeJSON(w, http.StatusOK, doc)
	return nil
}

// subjectInput names a subject by address in a request body, so it stays out of URLs and access
// logs, with how an objection reached us.
type subjectInput struct {
	Email  string `json:"email"`
	Source string `json:"source"`
}

// eraseSubject erases the body's email (GDPR Art. 17): POST {"email": "…"}.
func (a *API) eraseSubject(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.privacy.Erase(r.Context(), in.Email, auditBy(r))
	if err != nil {
		return err
	}
	auditWritten(r)
	writeJSON(w, http.StatusOK, res)
	return nil
}

// objectSubject records an objection to direct marketing for the body's email, in the register
// or not: POST {"email": "…", "source": "requested by email"}.
func (a *API) objectSubject(w http.ResponseWriter, r *http.Request) error {
	var in subjectInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	res, err := a.privacy.Object(r.Context(), in.Email, in.Source, auditBy(r))
	if err != nil {
		return err
	}
	auditWritten(r)
	writeJSON(w, http.StatusOK, res)
	return nil
}
