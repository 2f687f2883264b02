package register_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/register"
)

func ptr[T any](v T) *T { return &v }

func TestUpdateContact(t *testing.T) {
	b := setup(t)
	c := b.contact(t, "old@example.fi", func(in *register.ContactInput) {
		in.FirstName, in.Phone, in.CompanyName = "Olli", "+358 1", "Acme Oy"
		in.Attributes = map[string]any{"a": "1", "b": "2"}
	})
	co, err := b.store.UpsertCompany(b.ctx, register.CompanyInput{Name: "Other Oy"})
	require.NoError(t, err)

	ch, err := b.store.UpdateContact(b.ctx, c.ID, register.ContactPatch{
		Email:      ptr(" New@Example.FI"),
		FirstName:  ptr("Olli"), // unchanged: not reported
		Phone:      ptr(""),     // cleared
		Country:    ptr("se"),
		CompanyID:  ptr(co.ID),
		Kind:       ptr(register.B2C),
		Attributes: map[string]any{"b": "2"},
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"email", "phone", "country", "company_id", "kind", "attributes"}, ch.Fields)
	assert.Equal(t, "old@example.fi", ch.Before.Email)
	assert.Equal(t, "+358 1", ch.Before.Phone)
	got, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, ch.After, got, "After is what is stored")
	assert.Equal(t, "new@example.fi", got.Email)
	assert.Equal(t, "", got.Phone)
	assert.Equal(t, "SE", got.Country)
	assert.Equal(t, co.ID, got.CompanyID)
	assert.Equal(t, register.B2C, got.Kind)
	assert.Equal(t, map[string]any{"b": "2"}, got.Attributes, "attributes replaced")

	ch, err = b.store.UpdateContact(b.ctx, c.ID, register.ContactPatch{CompanyID: ptr[int64](0)})
	require.NoError(t, err)
	assert.Equal(t, []string{"company_id"}, ch.Fields)
	assert.Zero(t, ch.After.CompanyID)

	ch, err = b.store.UpdateContact(b.ctx, c.ID, register.ContactPatch{FirstName: ptr(" Olli ")})
	require.NoError(t, err)
	assert.Empty(t, ch.Fields, "nothing changed")
	assert.Equal(t, ch.Before.UpdatedAt, ch.After.UpdatedAt, "nothing written")
}

func TestUpdateContactErrors(t *testing.T) {
	b := setup(t)
	c := b.contact(t, "a@example.fi")
	b.contact(t, "taken@example.fi")
	tests := []struct {
		name  string
		id    int64
		patch register.ContactPatch
		want  error
	}{
		{"no such contact", c.ID + 100, register.ContactPatch{FirstName: ptr("x")}, register.ErrNotFound},
		{"email taken", c.ID, register.ContactPatch{Email: ptr("TAKEN@example.fi")}, register.ErrConflict},
		{"bad email", c.ID, register.ContactPatch{Email: ptr("nope")}, register.ErrInvalid},
		{"empty kind", c.ID, register.ContactPatch{Kind: ptr(register.Kind(""))}, register.ErrInvalid},
		{"bad tracking", c.ID, register.ContactPatch{Tracking: ptr("all")}, register.ErrInvalid},
		// A level is a recorded choice (SetTracking), never rectified without its history.
		{"tracking", c.ID, register.ContactPatch{Tracking: ptr(register.TrackingOff)}, register.ErrInvalid},
		{"no such company", c.ID, register.ContactPatch{CompanyID: ptr[int64](424242)}, register.ErrInvalid},
		{"control character", c.ID, register.ContactPatch{LastName: ptr("a\nb")}, register.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.store.UpdateContact(b.ctx, tt.id, tt.patch)
			require.ErrorIs(t, err, tt.want)
		})
	}
	got, err := b.store.Contact(b.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got, "failed updates change nothing")
}
