package access_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
)

// TestGrants is the role → permission table written out in full: a change to what a role may do
// must change this test too.
func TestGrants(t *testing.T) {
	t.Parallel()
	const (
		A = 1 << iota // admin
		M             // marketer
		N             // analyst
		P             // privacy
	)
	want := map[access.Permission]int{
		access.AccountRead:        A | M | N | P,
		access.RegisterRead:       A | M | N | P,
		access.RegisterWrite:      A | M,
		access.BrandsWrite:        A | M,
		access.ContactsRectify:    A | M | P,
		access.ConsentWrite:       A | M | P,
		access.SegmentsRead:       A | M | N,
		access.CampaignsRead:      A | M | N,
		access.CampaignsWrite:     A | M,
		access.SuppressionsRead:   A | P,
		access.SuppressionsWrite:  A | P,
		access.SuppressionsExport: A | P,
		access.SuppressionsRemove: A,
		access.SubjectsManage:     A | P,
		access.EventsRead:         A | M | N,
		access.ReportsRead:        A | M | N,
		access.UsersManage:        A,
		access.AuditRead:          A,
		access.WebhooksManage:     A,
	}
	require.Len(t, want, len(access.AllPermissions()), "every permission has a row here")
	roles := map[access.Role]int{access.RoleAdmin: A, access.RoleMarketer: M, access.RoleAnalyst: N, access.RolePrivacy: P}
	require.Len(t, roles, len(access.Roles()))
	for _, p := range access.AllPermissions() {
		for role, bit := range roles {
			assert.Equal(t, want[p]&bit != 0, role.Can(p), "%s can %s", role, p)
			assert.Equal(t, want[p]&bit != 0, access.User{Role: role}.Can(p), "%s user can %s", role, p)
			assert.False(t, access.User{Role: role, Disabled: true}.Can(p), "disabled %s can nothing", role)
		}
		assert.False(t, access.Role("root").Can(p), "unknown role can nothing")
	}
}

func TestParseRole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    access.Role
		wantErr bool
	}{
		{"admin", access.RoleAdmin, false},
		{"marketer", access.RoleMarketer, false},
		{"analyst", access.RoleAnalyst, false},
		{"privacy", access.RolePrivacy, false},
		{"Admin", "", true},
		{"", "", true},
		{"root", "", true},
	}
	for _, tt := range tests {
		got, err := access.ParseRole(tt.in)
		if tt.wantErr {
			require.ErrorIs(t, err, access.ErrInvalid, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
}

func TestNormalizeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"maija", "maija"},
		{"  Maija.Virtanen ", "maija.virtanen"},
		{"crm-integration", "crm-integration"},
		{"m@example.fi", "m@example.fi"},
		{"", ""},
		{"-x", ""},
		{"cli:root", ""},
		{"two words", ""},
		{"recipient", ""},
		{"System", ""},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ""}, // 65
	}
	for _, tt := range tests {
		got, err := access.NormalizeName(tt.in)
		if tt.want == "" {
			require.ErrorIs(t, err, access.ErrInvalid, "%q", tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
}
