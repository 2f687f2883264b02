package register_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/register"
)

func TestUpsertContactCreatesThenUpdates(t *testing.T) {
	b := setup(t)
	c, created, err := b.store.UpsertContact(b.ctx, register.ContactInput{
		Email: " Matti.Meikalainen@Example.FI ", FirstName: "Matti", LastName: "Meikäläinen",
		JobTitle: "Purchasing Manager", Country: "fi", Phone: "+358 40 123 4567",
		Attributes: map[string]any{"source": "fair 2025", "score": 7},
	})
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, "matti.meikalainen@example.fi", c.Email)
	assert.Equal(t, "FI", c.Country)
	assert.Equal(t, register.B2B, c.Kind, "kind defaults to b2b")
	assert.Equal(t, "", c.Tracking, "tracking follows the brand")
	assert.Equal(t, map[string]any{"source": "fair 2025", "score": float64(7)}, c.Attributes)

	u, created, err := b.store.UpsertContact(b.ctx, register.ContactInput{
		Email: "MATTI.MEIKALAINEN@example.fi", JobTitle: "Head of Purchasing", Kind: "B2C",
		Tracking: register.TrackingAggregate, Attributes: map[string]any{"score": 9},
	})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, c.ID, u.ID, "case-insensitive email finds the same contact")
	assert.Equal(t, "Head of Purchasing", u.JobTitle)
	assert.Equal(t, "Matti", u.FirstName, "empty input fields keep stored values")
	assert.Equal(t, "+358 40 123 4567", u.Phone)
	assert.Equal(t, register.B2C, u.Kind)
	assert.Equal(t, "", u.Tracking, "an existing contact's tracking level is a recorded choice, not upserted")
	assert.Equal(t, map[string]any{"source": "fair 2025", "score": float64(9)}, u.Attributes, "attributes merge")
	assert.Equal(t, 1, b.count(t, "contacts"))

	again, created, err := b.store.UpsertContact(b.ctx, register.ContactInput{Email: c.Email})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, register.B2C, again.Kind, "no kind given keeps the stored kind")
}

func TestUpsertContactRejectsBadInput(t *testing.T) {
	b := setup(t)
	tests := []struct {
		name  string
		in    register.ContactInput
		field string
	}{
		{"no email", register.ContactInput{FirstName: "Anna"}, "email"},
		{"bad email", register.ContactInput{Email: "anna(at)example.fi"}, "email"},
		{"display name", register.ContactInput{Email: "Anna <anna@example.fi>"}, "email"},
		{"bad kind", register.ContactInput{Email: "anna@example.fi", Kind: "b2g"}, "kind"},
		{"bad tracking", register.ContactInput{Email: "anna@example.fi", Tracking: "some"}, "tracking"},
		{"line break in name", register.ContactInput{Email: "anna@example.fi", FirstName: "An\r\nBcc: x"}, "first_name"},
		{"NUL in title", register.ContactInput{Email: "anna@example.fi", JobTitle: "CEO\x00"}, "job_title"},
		{"invalid UTF-8", register.ContactInput{Email: "anna@example.fi", LastName: "Virtan\xe4"}, "last_name"},
		{"bad Y-tunnus", register.ContactInput{Email: "anna@example.fi", CompanyName: "Acme Oy", BusinessID: "1234567-8", Country: "FI"}, "business_id"},
		{"NUL in attribute", register.ContactInput{Email: "anna@example.fi", Attributes: map[string]any{"k": "a\x00"}}, "attributes"},
		{"space in website", register.ContactInput{Email: "anna@example.fi", CompanyName: "Acme Oy", CompanyWebsite: "www.acme .fi"}, "company_website"},
		{"line break in location", register.ContactInput{Email: "anna@example.fi", BusinessID: "0112038-9", CompanyLocation: "Espoo\nBcc: x"}, "company_location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := b.store.UpsertContact(b.ctx, tt.in)
			require.ErrorIs(t, err, register.ErrInvalid)
			var fe *register.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.field, fe.Field)
		})
	}
	assert.Equal(t, 0, b.count(t, "contacts"))
	assert.Equal(t, 0, b.count(t, "companies"), "a rejected contact creates no company")

	_, _, err := b.store.UpsertContact(b.ctx, register.ContactInput{Email: "anna@example.fi", Attributes: map[string]any{"k": `a\u0000`}})
	require.NoError(t, err, "a backslash followed by u0000 is text, not NUL")
}

func TestUpsertContactLinksCompany(t *testing.T) {
	b := setup(t)
	byID := b.contact(t, "a@nokia.com", func(in *register.ContactInput) {
		in.CompanyName, in.BusinessID, in.Country = "Nokia Oyj", "112038-9", "FI"
	})
	require.NotZero(t, byID.CompanyID)
	co, err := b.store.Company(b.ctx, byID.CompanyID)
	require.NoError(t, err)
	assert.Equal(t, "0112038-9", co.BusinessID, "old six-digit form padded")
	assert.Equal(t, "FI", co.Country, "contact country fills an empty company country")

	sameID := b.contact(t, "b@nokia.com", func(in *register.ContactInput) {
		in.CompanyName, in.BusinessID = "Nokia", "0112038-9"
	})
	assert.Equal(t, byID.CompanyID, sameID.CompanyID, "matched by business ID")
	co, err = b.store.Company(b.ctx, byID.CompanyID)
	require.NoError(t, err)
	assert.Equal(t, "Nokia", co.Name, "a business-ID match takes the given name")

	byName := b.contact(t, "c@acme.example", func(in *register.ContactInput) { in.CompanyName = "Acme Oy" })
	sameName := b.contact(t, "d@acme.example", func(in *register.ContactInput) { in.CompanyName = " ACME OY " })
	require.NotZero(t, byName.CompanyID)
	assert.Equal(t, byName.CompanyID, sameName.CompanyID, "matched by case-insensitive name")
	assert.NotEqual(t, byID.CompanyID, byName.CompanyID)
	co, err = b.store.Company(b.ctx, byName.CompanyID)
	require.NoError(t, err)
	assert.Equal(t, "Acme Oy", co.Name, "a name match keeps the stored spelling")

	kept := b.contact(t, "c@acme.example", func(in *register.ContactInput) { in.FirstName = "Carl" })
	assert.Equal(t, byName.CompanyID, kept.CompanyID, "no company given keeps the link")
	assert.Equal(t, 2, b.count(t, "companies"))
}

func TestUpsertContactCompanyWebsiteAndLocation(t *testing.T) {
	b := setup(t)
	// As the API decodes a POST /api/v1/contacts body.
	var in register.ContactInput
	require.NoError(t, json.Unmarshal([]byte(`{"email": "a@kone.example", "company_name": "Kone Oyj",
		"business_id": "1927400-1", "company_country": "fi", "company_website": " www.kone.example ",
		"company_location": "Espoo"}`), &in))
	c, created, err := b.store.UpsertContact(b.ctx, in)
	require.NoError(t, err)
	require.True(t, created)
	co, err := b.store.Company(b.ctx, c.CompanyID)
	require.NoError(t, err)
	assert.Equal(t, register.Company{ID: co.ID, Name: "Kone Oyj", BusinessID: "1927400-1", Website: "www.kone.example",
		Country: "FI", Location: "Espoo", CreatedAt: co.CreatedAt, UpdatedAt: co.UpdatedAt}, co)
	assert.Empty(t, c.Attributes)

	tests := []struct {
		name                   string
		in                     register.ContactInput
		wantWebsite, wantPlace string
	}{
		{"not given keeps", register.ContactInput{Email: "b@kone.example", BusinessID: "1927400-1"}, "www.kone.example", "Espoo"},
		{"given replaces", register.ContactInput{Email: "b@kone.example", CompanyName: "KONE OYJ", BusinessID: "1927400-1",
			CompanyWebsite: "https://www.kone.example/fi/", CompanyLocation: "Helsinki"}, "https://www.kone.example/fi/", "Helsinki"},
		{"without a company ignored", register.ContactInput{Email: "a@kone.example", CompanyWebsite: "www.other.example",
			CompanyLocation: "Oulu", CompanyCountry: "SE"}, "https://www.kone.example/fi/", "Helsinki"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := b.store.UpsertContact(b.ctx, tt.in)
			require.NoError(t, err)
			assert.Equal(t, co.ID, c.CompanyID)
			got, err := b.store.Company(b.ctx, co.ID)
			require.NoError(t, err)
			assert.Equal(t, tt.wantWebsite, got.Website)
			assert.Equal(t, tt.wantPlace, got.Location)
			assert.Equal(t, "FI", got.Country)
		})
	}
	assert.Equal(t, 1, b.count(t, "companies"))

	// A website or location without a company creates none (as company_country would not).
	alone, _, err := b.store.UpsertContact(b.ctx, register.ContactInput{Email: "c@private.example", CompanyWebsite: "www.private.example", CompanyLocation: "Oulu"})
	require.NoError(t, err)
	assert.Zero(t, alone.CompanyID)
	assert.Empty(t, alone.Attributes)
	assert.Equal(t, 1, b.count(t, "companies"))
}

func TestUpsertCompany(t *testing.T) {
	b := setup(t)
	c, err := b.store.UpsertCompany(b.ctx, register.CompanyInput{Name: "Kesko Oyj", BusinessID: "0109862-8", Country: "fi", Website: "https://www.kesko.fi"})
	require.NoError(t, err)
	assert.Equal(t, "FI", c.Country)
	u, err := b.store.UpsertCompany(b.ctx, register.CompanyInput{BusinessID: "0109862-8", Location: "Helsinki", Country: "SE"})
	require.NoError(t, err)
	assert.Equal(t, c.ID, u.ID)
	assert.Equal(t, "Kesko Oyj", u.Name, "empty name keeps the stored one")
	assert.Equal(t, "https://www.kesko.fi", u.Website)
	assert.Equal(t, "Helsinki", u.Location)
	assert.Equal(t, "SE", u.Country, "UpsertCompany's country overwrites")

	n, err := b.store.UpsertCompany(b.ctx, register.CompanyInput{Name: "Pieni Paja"})
	require.NoError(t, err)
	n2, err := b.store.UpsertCompany(b.ctx, register.CompanyInput{Name: "pieni paja", Location: "Tampere"})
	require.NoError(t, err)
	assert.Equal(t, n.ID, n2.ID)
	assert.Equal(t, "Tampere", n2.Location)

	_, err = b.store.UpsertCompany(b.ctx, register.CompanyInput{Website: "x"})
	require.ErrorIs(t, err, register.ErrInvalid)
	for field, in := range map[string]register.CompanyInput{
		"website":  {Name: "Pieni Paja", Website: "www.pieni paja.fi"},
		"location": {Name: "Pieni Paja", Location: "Tampere\r\nBcc: x"},
	} {
		_, err = b.store.UpsertCompany(b.ctx, in)
		var fe *register.FieldError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, field, fe.Field)
	}
	_, err = b.store.Company(b.ctx, 999999)
	require.ErrorIs(t, err, register.ErrNotFound)
}

func TestContactLookups(t *testing.T) {
	b := setup(t)
	var ids []int64
	for _, e := range []string{"a@example.fi", "b@example.fi", "c@example.fi", "d@example.fi", "e@example.fi"} {
		ids = append(ids, b.contact(t, e).ID)
	}
	c, err := b.store.ContactByEmail(b.ctx, " C@Example.FI")
	require.NoError(t, err)
	assert.Equal(t, ids[2], c.ID)
	_, err = b.store.ContactByEmail(b.ctx, "nobody@example.fi")
	require.ErrorIs(t, err, register.ErrNotFound)
	_, err = b.store.ContactByEmail(b.ctx, "not an address")
	require.ErrorIs(t, err, register.ErrInvalid)
	_, err = b.store.Contact(b.ctx, 0)
	require.ErrorIs(t, err, register.ErrNotFound)

	var got []int64
	var after int64
	for {
		page, err := b.store.ListContacts(b.ctx, register.ListOptions{AfterID: after, Limit: 2})
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		require.LessOrEqual(t, len(page), 2)
		for _, c := range page {
			got = append(got, c.ID)
		}
		after = page[len(page)-1].ID
	}
	assert.Equal(t, ids, got, "keyset pages cover every contact once, in ID order")
	_, err = b.store.ListContacts(b.ctx, register.ListOptions{Limit: -1})
	require.ErrorIs(t, err, register.ErrInvalid)
}

func TestDeleteContactCascades(t *testing.T) {
	b := setup(t)
	c := b.contact(t, "gone@example.fi")
	_, err := b.store.RecordPermission(b.ctx, c.ID, register.ActionBan, "api", "admin", "")
	require.NoError(t, err)
	require.NoError(t, b.store.DeleteContact(b.ctx, c.ID))
	_, err = b.store.Contact(b.ctx, c.ID)
	require.ErrorIs(t, err, register.ErrNotFound)
	assert.Equal(t, 0, b.count(t, "marketing_permissions"))
	require.ErrorIs(t, b.store.DeleteContact(b.ctx, c.ID), register.ErrNotFound)
}
