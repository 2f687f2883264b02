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
// # Audit (seam)
//
// The audit log of issue 5 (who did what, when, from where) will be an append-only table owned
// here, written by the API's audit hook (api/audit.go), which already sees every audited route
// with the caller's user, token and address. User and token changes made through this Store
// are audited there by the caller; the Store itself records nothing.
//
// This package must not know HTTP (the api package maps ErrUnauthenticated to 401 and a role
// without the permission to 403) and must never store or log a plaintext token.
package access
