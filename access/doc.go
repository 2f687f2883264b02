// Package access owns who may use Kirje: named staff users, their roles, the permissions each
// role grants, and the bearer tokens they authenticate with.
//
// # Permissions
//
// A Permission names one kind of operation ("campaigns:write", "suppressions:remove"…); a Role
// grants a fixed set of them (see Grants, the one table of who may do what). Callers ask
// Role.Can; they never compare role names themselves, so changing what a role may do is a change
// to that table alone.
//
// # Tokens
//
// IssueToken makes 32 random bytes, shown once as "kirje_" + base64url, and stores only their
// SHA-256. Authenticate looks a presented token up by that hash, so it compares no secret
// byte by byte and its time does not depend on how much of a guess was right. A token
// authenticates only while it is not revoked and its user is not disabled. last_used_at is
// written at most once per LastUsedResolution per token.
//
// # Audit log
//
// Audit appends an Entry to the audit_log table: who (a user with their token, or a CLI actor
// such as "cli:root"), what (an Action* constant), which target, when, from where, and detail.
// Callers write it in the transaction of the change where they can, otherwise right after it,
// and fail the operation when it cannot be written: an audited action is never reported as done
// without its record. The table is append-only (a trigger refuses UPDATE, DELETE and TRUNCATE)
// and entries do not expire. AuditLog reads it back, for admins (AuditRead).
//
// Sign-ins are recorded by AuthenticateFrom itself, in the statement that records the token's
// use: one entry per token per UTC day, on its first recorded use that day. A request-by-request
// record would add a write to every API call and say nothing more about who had access.
//
// The Store's user and token changes record nothing themselves; their callers (the API, the CLI)
// audit them, knowing who asked and from where.
//
// This package must not know HTTP (the api package maps ErrUnauthenticated to 401 and a role
// without the permission to 403) and must never store or log a plaintext token.
package access
