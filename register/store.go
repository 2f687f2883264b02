package register

import "github.com/kirje/kirje/internal/pg"

// Store reads and writes the register. It is safe for concurrent use when its DBTX is (a pool
// is; a transaction is not).
type Store struct {
	db pg.DBTX
}

// New returns a Store on db: a pool, or a caller's transaction when register changes must commit
// together with the caller's own.
func New(db pg.DBTX) *Store { return &Store{db: db} }
