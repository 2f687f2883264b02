package access

import (
	"fmt"
	"slices"
)

// Permission names one kind of operation. Every API route requires exactly one.
type Permission string

// Permissions. Reads and writes are separate so that the read-only analyst role is a subset, and
// the operations a data-protection officer needs (privacy) are separate from marketing's.
const (
	AccountRead        Permission = "account:read"        // one's own user and token (every role)
	RegisterRead       Permission = "register:read"       // contacts, their companies and permission history, brands
	RegisterWrite      Permission = "register:write"      // upsert and import contacts
	BrandsWrite        Permission = "brands:write"        // create and change sender identities
	ContactsRectify    Permission = "contacts:rectify"    // correct a contact's fields (GDPR Art. 16)
	ConsentWrite       Permission = "consent:write"       // record bans, unbans, consents, withdrawals
	SegmentsRead       Permission = "segments:read"       // preview a segment's size
	CampaignsRead      Permission = "campaigns:read"      // campaigns and their ledger counts
	CampaignsWrite     Permission = "campaigns:write"     // create, edit, schedule, pause, resume, cancel, test-send
	SuppressionsRead   Permission = "suppressions:read"   // list and look up suppression entries
	SuppressionsWrite  Permission = "suppressions:write"  // add and import entries
	SuppressionsExport Permission = "suppressions:export" // the whole list as CSV
	SuppressionsRemove Permission = "suppressions:remove" // take an entry off the list: mail may go again
	SubjectsManage     Permission = "subjects:manage"     // data subjects' requests: access (export), objection, erasure
	EventsRead         Permission = "events:read"         // the event feed (reserved for its API)
	ReportsRead        Permission = "reports:read"        // campaign reports (reserved for their API)
	UsersManage        Permission = "users:manage"        // users, roles and tokens
	AuditRead          Permission = "audit:read"          // the audit log
	WebhooksManage     Permission = "webhooks:manage"     // webhook subscriptions: they send the feed's personal data out
)

// AllPermissions lists every permission, in a stable order.
func AllPermissions() []Permission {
	return []Permission{
		AccountRead, RegisterRead, RegisterWrite, BrandsWrite, ContactsRectify, ConsentWrite,
		SegmentsRead, CampaignsRead, CampaignsWrite,
		SuppressionsRead, SuppressionsWrite, SuppressionsExport, SuppressionsRemove,
		SubjectsManage, EventsRead, ReportsRead, UsersManage, AuditRead, WebhooksManage,
	}
}

// Role is what a user may do, as a named set of permissions.
type Role string

// Roles.
const (
	// RoleAdmin may do everything, including managing users and removing suppressions.
	RoleAdmin Role = "admin"
	// RoleMarketer keeps the register and runs campaigns.
	RoleMarketer Role = "marketer"
	// RoleAnalyst reads: campaigns, segments, the register, events and reports. The register's
	// own integration uses this role to read back what Kirje did.
	RoleAnalyst Role = "analyst"
	// RolePrivacy handles data subjects' rights and the suppression list: reads and rectifies
	// contacts, records bans and objections, adds to and exports the list (but removes nothing).
	RolePrivacy Role = "privacy"
)

// Roles lists every role.
func Roles() []Role { return []Role{RoleAdmin, RoleMarketer, RoleAnalyst, RolePrivacy} }

// Grants is the one table of who may do what: the permissions role has (none for an unknown
// role). The returned slice is the caller's own.
func Grants(role Role) []Permission {
	switch role {
	case RoleAdmin:
		return AllPermissions()
	case RoleMarketer:
		return []Permission{AccountRead, RegisterRead, RegisterWrite, BrandsWrite, ContactsRectify,
			ConsentWrite, SegmentsRead, CampaignsRead, CampaignsWrite, EventsRead, ReportsRead}
	case RoleAnalyst:
		return []Permission{AccountRead, RegisterRead, SegmentsRead, CampaignsRead, EventsRead,
			ReportsRead}
	case RolePrivacy:
		return []Permission{AccountRead, RegisterRead, ContactsRectify, ConsentWrite,
			SuppressionsRead, SuppressionsWrite, SuppressionsExport, SubjectsManage}
	}
	return nil
}

// Can reports whether role grants p.
func (r Role) Can(p Permission) bool { return slices.Contains(Grants(r), p) }

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return slices.Contains(Roles(), r) }

// ParseRole returns the role named s, or an error wrapping ErrInvalid listing the valid ones.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("%w: role %q: must be one of admin, marketer, analyst, privacy", ErrInvalid, s)
}
