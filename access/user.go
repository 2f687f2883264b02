package access

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kirje/kirje/internal/pg"
)

// User is a named member of staff. Name is the actor recorded on every change they make.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

// Can reports whether the user may do p: an enabled user whose role grants it.
func (u User) Can(p Permission) bool { return !u.Disabled && u.Role.Can(p) }

// Store keeps users and their tokens. It is safe for concurrent use when its DBTX is (a pool is).
type Store struct {
	db  pg.DBTX
	now func() time.Time
}

// New returns a Store on db: a pool, or a caller's transaction.
func New(db pg.DBTX) *Store { return &Store{db: db, now: time.Now} }

// WithClock returns a copy of s that takes the time from now (for tests).
func (s *Store) WithClock(now func() time.Time) *Store { return &Store{db: s.db, now: now} }

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// reservedNames are actors other parts of Kirje record; a user with such a name would make the
// history ambiguous.
func reservedNames() []string { return []string{"recipient", "system", "worker", "import", "api"} }

// NormalizeName returns name as stored: trimmed and lower-cased. It must then be 1–64 of
// a–z, 0–9, '.', '_', '@', '-', start with a letter or digit, and not be a reserved actor
// ("recipient", "system", "worker", "import", "api"); otherwise the error wraps ErrInvalid.
func NormalizeName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if !namePattern.MatchString(n) {
		return "", fmt.Errorf("%w: name %q: use 1-64 of a-z, 0-9, '.', '_', '@', '-', starting with a letter or digit", ErrInvalid, name)
	}
	if slices.Contains(reservedNames(), n) {
		return "", fmt.Errorf("%w: name %q is reserved", ErrInvalid, n)
	}
	return n, nil
}

const userColumns = `id, name, role, disabled, created_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Name, &u.Role, &u.Disabled, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

const createUserSQL = `INSERT INTO users (name, role, created_at) VALUES ($1, $2, $3) RETURNING ` + userColumns

// CreateUser adds an enabled user. Errors: ErrInvalid for a bad name (see NormalizeName) or an
// unknown role, ErrConflict when the name is taken.
func (s *Store) CreateUser(ctx context.Context, name string, role Role) (User, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return User{}, wrap("create user", err)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return User{}, wrap("create user", err)
	}
	u, err := scanUser(s.db.QueryRow(ctx, createUserSQL, n, role, s.now()))
	if pg.IsUniqueViolation(err, "") {
		return User{}, fmt.Errorf("access: create user: %w: name %q is taken", ErrConflict, n)
	}
	return u, wrap("create user", err)
}

// Users returns every user, disabled ones included, by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, wrap("users", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
	return users, wrap("users", err)
}

// User returns the user with id, or ErrNotFound.
func (s *Store) User(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	return u, wrap(fmt.Sprintf("user %d", id), err)
}

// UserByName returns the user with that name (normalised first), or ErrNotFound.
func (s *Store) UserByName(ctx context.Context, name string) (User, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	u, err := scanUser(s.db.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, n))
	return u, wrap(fmt.Sprintf("user %q", n), err)
}
