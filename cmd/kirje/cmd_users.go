package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/access"
)

func usersAddCommand() *command {
	return &command{
		name:     "users add",
		args:     "NAME",
		summary:  "add a named staff user with a role: admin, marketer, analyst or privacy",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			role := fs.String("role", "", "admin, marketer, analyst or privacy")
			token := fs.Bool("token", false, "also issue an API token and print it (shown once)")
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one user name")
				}
				r, err := access.ParseRole(*role)
				if err != nil {
					return usagef("--role: %v", err)
				}
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				store := access.New(db)
				u, err := store.CreateUser(ctx, args[0], r)
				if err != nil {
					return accessError(err)
				}
				if err := e.audit(ctx, db, access.ActionUserCreate, userTarget(u.ID), map[string]any{"role": u.Role}); err != nil {
					return err
				}
				out := map[string]any{"user": u}
				if *token {
					plain, tok, err := store.IssueToken(ctx, u.ID, "created with the user")
					if err != nil {
						return accessError(err)
					}
					if err := e.audit(ctx, db, access.ActionTokenIssue, tokenTarget(u.ID, tok.ID), nil); err != nil {
						return err
					}
					out["token"], out["token_id"] = plain, tok.ID
				}
				if *asJSON {
					return printJSON(e.stdout, out)
				}
				fmt.Fprintf(e.stdout, "user %d %s (%s) added\n", u.ID, u.Name, u.Role)
				if *token {
					fmt.Fprintf(e.stdout, "API token (shown only now): %s\n", out["token"])
				}
				return nil
			}
		},
	}
}

func usersListCommand() *command {
	return &command{
		name:     "users list",
		summary:  "list staff users and their roles",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			asJSON := fs.Bool("json", false, "print JSON")
			return func(ctx context.Context, e *env, args []string) error {
				db, err := e.db(ctx)
				if err != nil {
					return err
				}
				users, err := access.New(db).Users(ctx)
				if err != nil {
					return err
				}
				return printList(e.stdout, *asJSON, users, []string{"ID", "NAME", "ROLE", "STATE"}, func(u access.User) []string {
					state := "active"
					if u.Disabled {
						state = "disabled"
					}
					return []string{fmt.Sprint(u.ID), u.Name, string(u.Role), state}
				})
			}
		},
	}
}

func usersTokenCommand() *command {
	return &command{
		name:     "users token",
		args:     "NAME",
		summary:  "issue an API token for a user (printed once; only its hash is stored)",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			label := fs.String("label", "", "what the token is for, e.g. \"CRM integration\"")
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one user name")
				}
				db, store, u, err := e.user(ctx, args[0])
				if err != nil {
					return err
				}
				plain, tok, err := store.IssueToken(ctx, u.ID, *label)
				if err != nil {
					return accessError(err)
				}
				if err := e.audit(ctx, db, access.ActionTokenIssue, tokenTarget(u.ID, tok.ID), map[string]any{"label": *label}); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "token %d for %s (shown only now):\n%s\n", tok.ID, u.Name, plain)
				return nil
			}
		},
	}
}

func usersRevokeCommand() *command {
	return &command{
		name:     "users revoke",
		args:     "NAME TOKEN_ID",
		summary:  "revoke one of a user's API tokens",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 2 {
					return usagef("give a user name and a token ID")
				}
				var id int64
				if _, err := fmt.Sscan(args[1], &id); err != nil {
					return usagef("token ID %q is not a number", args[1])
				}
				db, store, u, err := e.user(ctx, args[0])
				if err != nil {
					return err
				}
				if err := store.RevokeToken(ctx, u.ID, id); err != nil {
					return accessError(err)
				}
				if err := e.audit(ctx, db, access.ActionTokenRevoke, tokenTarget(u.ID, id), nil); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "revoked")
				return nil
			}
		},
	}
}

func usersDisableCommand() *command {
	return &command{
		name:     "users disable",
		args:     "NAME",
		summary:  "disable a user: their tokens stop working at once",
		settings: adminSettings(),
		required: []string{"database-url"},
		setup: func(fs *flag.FlagSet) runFunc {
			return func(ctx context.Context, e *env, args []string) error {
				if len(args) != 1 {
					return usagef("give one user name")
				}
				db, store, u, err := e.user(ctx, args[0])
				if err != nil {
					return err
				}
				if _, err := store.DisableUser(ctx, u.ID); err != nil {
					return accessError(err)
				}
				if err := e.audit(ctx, db, access.ActionUserUpdate, userTarget(u.ID), map[string]any{"disabled": true}); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "user %s disabled\n", u.Name)
				return nil
			}
		},
	}
}

func userTarget(id int64) string { return fmt.Sprintf("users/%d", id) }

func tokenTarget(userID, tokenID int64) string {
	return fmt.Sprintf("users/%d/tokens/%d", userID, tokenID)
}

// user opens the database and finds a staff user by name.
func (e *env) user(ctx context.Context, name string) (*pgxpool.Pool, *access.Store, access.User, error) {
	db, err := e.db(ctx)
	if err != nil {
		return nil, nil, access.User{}, err
	}
	store := access.New(db)
	u, err := store.UserByName(ctx, name)
	if err != nil {
		return nil, nil, access.User{}, accessError(err)
	}
	return db, store, u, nil
}
