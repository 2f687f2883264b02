package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kirje/kirje/access"
)

// commandPermissions is what each admin command does, in the API's terms: the permission of the
// route that does the same. The CLI's own authority is the installation's credentials (the
// database URL and the secret), so a command run with no user named acts as the operator. When
// KIRJE_ADMIN_USER names a Kirje user, the command acts as that user and needs what the user's
// role grants, as the same operation through the API would: an analyst cannot remove a
// suppression from the command line either, and a disabled user can do nothing. A "cli:" label
// instead of a user's name acts as the operator; any other name that is no user's is refused.
var commandPermissions = map[string]access.Permission{
	"brands create":       access.BrandsWrite,
	"brands list":         access.RegisterRead,
	"contacts import":     access.RegisterWrite,
	"contacts show":       access.RegisterRead,
	"contacts update":     access.ContactsRectify,
	"segments preview":    access.SegmentsRead,
	"campaigns create":    access.CampaignsWrite,
	"campaigns schedule":  access.CampaignsWrite,
	"campaigns pause":     access.CampaignsWrite,
	"campaigns resume":    access.CampaignsWrite,
	"campaigns cancel":    access.CampaignsWrite,
	"campaigns test":      access.CampaignsWrite,
	"campaigns show":      access.CampaignsRead,
	"campaigns list":      access.CampaignsRead,
	"campaigns report":    access.ReportsRead,
	"suppressions add":    access.SuppressionsWrite,
	"suppressions import": access.SuppressionsWrite,
	"suppressions list":   access.SuppressionsRead,
	"suppressions export": access.SuppressionsExport,
	"suppressions remove": access.SuppressionsRemove,
	"users add":           access.UsersManage,
	"users list":          access.UsersManage,
	"users token":         access.UsersManage,
	"users revoke":        access.UsersManage,
	"users disable":       access.UsersManage,
	"audit list":          access.AuditRead,
	"subjects export":     access.SubjectsManage,
	"subjects object":     access.SubjectsManage,
	"subjects erase":      access.SubjectsManage,
	"subjects tracking":   access.ConsentWrite,
	"events tail":         access.EventsRead,
	"webhooks add":        access.WebhooksManage,
	"webhooks list":       access.WebhooksManage,
	"webhooks test":       access.WebhooksManage,
	"webhooks remove":     access.WebhooksManage,
	"webhooks enable":     access.WebhooksManage,
}

// operatorCommands run the installation itself (processes, schema, the mail relay's input): they
// are the operator's, whoever is named.
var operatorCommands = []string{"migrate", "serve", "worker", "run", "inbound", "inbound process"}

// errForbidden is a named user's role lacking a command's permission.
var errForbidden = errors.New("not permitted")

// authorize checks that the user KIRJE_ADMIN_USER names may run cmd, and makes the user's stored
// name the actor. An unset KIRJE_ADMIN_USER (the OS user is recorded) or a "cli:" label acts as
// the operator. Anything else must be an enabled user's name: a typo or a reserved actor name
// ("system") is refused rather than let through with the operator's rights under a misleading
// name in the audit log.
func (e *env) authorize(ctx context.Context, cmd *command) error {
	perm, ok := commandPermissions[cmd.name]
	if !ok || e.cfg.AdminUser == "" || strings.HasPrefix(e.cfg.AdminUser, operatorLabel) {
		return nil
	}
	name, err := access.NormalizeName(e.cfg.AdminUser)
	if err != nil {
		return fmt.Errorf("%w: KIRJE_ADMIN_USER %q is not a user name (%v); name a Kirje user, or label the operator %q",
			errForbidden, e.cfg.AdminUser, err, operatorLabel+"NAME")
	}
	db, err := e.db(ctx)
	if err != nil {
		return err
	}
	u, err := access.New(db).UserByName(ctx, name)
	if errors.Is(err, access.ErrNotFound) {
		return fmt.Errorf("%w: KIRJE_ADMIN_USER %q is no Kirje user; name one (kirje users list), or label the operator %q",
			errForbidden, name, operatorLabel+"NAME")
	}
	if err != nil {
		return fmt.Errorf("checking the rights of %s: %w", name, err)
	}
	if u.Disabled {
		return fmt.Errorf("%w: user %s (KIRJE_ADMIN_USER) is disabled", errForbidden, u.Name)
	}
	if !u.Can(perm) {
		return fmt.Errorf("%w: user %s (KIRJE_ADMIN_USER) has role %s, which does not grant %s", errForbidden, u.Name, u.Role, perm)
	}
	e.cfg.AdminUser = u.Name // recorded as stored, as the API records its users
	return nil
}

// operatorLabel starts a KIRJE_ADMIN_USER that names a person acting as the operator, not a
// Kirje user; the OS user is recorded with it by default.
const operatorLabel = "cli:"
