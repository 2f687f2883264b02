package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/kirje/kirje/register"
)

// Brands are the group's sender identities. A brand's DKIM key goes in (dkim_key_pem) but never
// comes out: register.Brand does not serialise it.

func (a *API) listBrands(w http.ResponseWriter, r *http.Request) error {
	bs, err := a.register.ListBrands(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, itemsOf(bs))
	return nil
}

func (a *API) getBrand(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	b, err := a.register.Brand(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (a *API) createBrand(w http.ResponseWriter, r *http.Request) error {
	var in register.BrandInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	b, err := a.register.CreateBrand(r.Context(), in)
	if err != nil {
		return err
	}
	auditTarget(r, fmt.Sprintf("brands/%d", b.ID))
	auditDetail(r, slog.Bool("dkim", b.HasDKIM()))
	writeJSON(w, http.StatusCreated, b)
	return nil
}

// updateBrand replaces the brand's settings (PUT): see register.Store.UpdateBrand for how an
// absent DKIM key keeps the stored one.
func (a *API) updateBrand(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in register.BrandInput
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	b, err := a.register.UpdateBrand(r.Context(), id, in)
	if err != nil {
		return err
	}
	auditDetail(r, slog.Bool("dkim", b.HasDKIM()), slog.Bool("dkim_key_given", in.DKIMKeyPEM != ""))
	writeJSON(w, http.StatusOK, b)
	return nil
}
