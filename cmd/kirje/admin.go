package main

import (
	"net"
	"net/http"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/kirje/kirje/access"
)

// queueUIPath is where asynqmon is mounted.
const queueUIPath = "/admin/queues"

// queueUI is asynqmon behind an administrator's credentials. Browsers cannot send bearer tokens,
// so it takes HTTP Basic authentication whose password is an admin user's API token (the user
// name is not checked: the token names the user).
func queueUI(db *pgxpool.Pool, opts *redis.Options) http.Handler {
	mon := asynqmon.New(asynqmon.Options{
		RootPath: queueUIPath,
		RedisConnOpt: asynq.RedisClientOpt{Addr: opts.Addr, Username: opts.Username,
			Password: opts.Password, DB: opts.DB, TLSConfig: opts.TLSConfig},
	})
	users := access.New(db)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, token, ok := r.BasicAuth()
		if !ok {
			if t, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
				token, ok = t, true
			}
		}
		if ok {
			u, _, err := users.AuthenticateFrom(r.Context(), token, clientIP(r))
			if err == nil && u.Role == access.RoleAdmin && !u.Disabled {
				mon.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="Kirje queues (password: an admin API token)", charset="UTF-8"`)
		http.Error(w, "an administrator's API token is required", http.StatusUnauthorized)
	})
}

// clientIP is the peer address of r, for the audit trail of queue UI sign-ins.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
