package access_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/internal/pgtest"
)

type bundle struct {
	ctx   context.Context
	db    *pgtest.DB
	store *access.Store
	clock *clock
}

// clock is a settable time for last-used tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T) bundle {
	t.Helper()
	db := pgtest.New(t)
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	return bundle{ctx: context.Background(), db: db, store: access.New(db.Pool).WithClock(c.now), clock: c}
}

func (b bundle) user(t *testing.T, name string, role access.Role) access.User {
	t.Helper()
	u, err := b.store.CreateUser(b.ctx, name, role)
	require.NoError(t, err)
	return u
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.user(t, " Maija ", access.RoleMarketer)
	assert.Equal(t, "maija", u.Name)
	assert.Equal(t, access.RoleMarketer, u.Role)
	assert.False(t, u.Disabled)
	assert.True(t, u.CreatedAt.Equal(b.clock.now()))

	_, err := b.store.CreateUser(b.ctx, "MAIJA", access.RoleAnalyst)
	require.ErrorIs(t, err, access.ErrConflict)
	_, err = b.store.CreateUser(b.ctx, "pekka", "root")
	require.ErrorIs(t, err, access.ErrInvalid)
	_, err = b.store.CreateUser(b.ctx, "system", access.RoleAdmin)
	require.ErrorIs(t, err, access.ErrInvalid)

	got, err := b.store.User(b.ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u, got)
	got, err = b.store.UserByName(b.ctx, "Maija")
	require.NoError(t, err)
	assert.Equal(t, u, got)
	_, err = b.store.User(b.ctx, u.ID+100)
	require.ErrorIs(t, err, access.ErrNotFound)
	_, err = b.store.UserByName(b.ctx, "nobody")
	require.ErrorIs(t, err, access.ErrNotFound)

	b.user(t, "aino", access.RoleAdmin)
	users, err := b.store.Users(b.ctx)
	require.NoError(t, err)
	require.Len(t, users, 2)
	assert.Equal(t, []string{"aino", "maija"}, []string{users[0].Name, users[1].Name})
}

func TestSetRoleAndDisable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	admin := b.user(t, "aino", access.RoleAdmin)
	u := b.user(t, "maija", access.RoleMarketer)

	u, err := b.store.SetRole(b.ctx, u.ID, access.RolePrivacy)
	require.NoError(t, err)
	assert.Equal(t, access.RolePrivacy, u.Role)
	_, err = b.store.SetRole(b.ctx, u.ID, "root")
	require.ErrorIs(t, err, access.ErrInvalid)
	_, err = b.store.SetRole(b.ctx, 9999, access.RoleAnalyst)
	require.ErrorIs(t, err, access.ErrNotFound)

	// The last enabled admin can be neither demoted nor disabled…
	_, err = b.store.SetRole(b.ctx, admin.ID, access.RoleMarketer)
	require.ErrorIs(t, err, access.ErrConflict)
	_, err = b.store.DisableUser(b.ctx, admin.ID)
	require.ErrorIs(t, err, access.ErrConflict)
	// …until there is another.
	u, err = b.store.SetRole(b.ctx, u.ID, access.RoleAdmin)
	require.NoError(t, err)
	admin, err = b.store.DisableUser(b.ctx, admin.ID)
	require.NoError(t, err)
	assert.True(t, admin.Disabled)
	_, err = b.store.SetRole(b.ctx, u.ID, access.RoleAnalyst)
	require.ErrorIs(t, err, access.ErrConflict, "a disabled admin does not count")

	admin, err = b.store.EnableUser(b.ctx, admin.ID)
	require.NoError(t, err)
	assert.False(t, admin.Disabled)
	_, err = b.store.DisableUser(b.ctx, 9999)
	require.ErrorIs(t, err, access.ErrNotFound)
}

// Two admins demoting each other at the same time: one must win and one must be refused, never
// both succeed.
func TestLastAdminConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for round := range 10 {
		a1 := b.user(t, "a"+string(rune('a'+round))+"1", access.RoleAdmin)
		a2 := b.user(t, "a"+string(rune('a'+round))+"2", access.RoleAdmin)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, id := range []int64{a1.ID, a2.ID} {
			wg.Go(func() { _, errs[i] = b.store.SetRole(b.ctx, id, access.RoleAnalyst) })
		}
		wg.Wait()
		var admins int
		require.NoError(t, b.db.Pool.QueryRow(b.ctx,
			`SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled`).Scan(&admins))
		require.Equal(t, 1, admins, "round %d: errors %v", round, errs)
		require.True(t, (errs[0] == nil) != (errs[1] == nil), "round %d: %v", round, errs)
		// Demote the survivor behind the Store's back, so the next round starts with no admin.
		_, err := b.db.Pool.Exec(b.ctx, `UPDATE users SET role = 'analyst' WHERE role = 'admin'`)
		require.NoError(t, err)
	}
}
