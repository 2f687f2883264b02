package privacy

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/suppression"
)

// Sentinel errors callers branch on (errors.Is). They are returned wrapped.
var (
	// ErrInvalid: the address, level or source is not usable; the message says which.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound: no contact with that address or ID, where one is needed.
	ErrNotFound = errors.New("not found")
)

// Config wires a Service. DB and Suppression are required; Optouts is needed by Object.
type Config struct {
	DB          *pgxpool.Pool
	Suppression *suppression.List
	Optouts     *optout.Service
	Logger      *slog.Logger     // nil discards
	Now         func() time.Time // nil: time.Now; the documents' generation time
}

// Service carries out subject requests. It is safe for concurrent use.
type Service struct {
	db      *pgxpool.Pool
	list    *suppression.List
	optouts *optout.Service
	logger  *slog.Logger
	now     func() time.Time
}

// New returns a Service. It panics when DB or Suppression is nil: a wiring mistake.
func New(cfg Config) *Service {
	if cfg.DB == nil || cfg.Suppression == nil {
		panic("privacy: Config needs DB and Suppression")
	}
	s := &Service{db: cfg.DB, list: cfg.Suppression, optouts: cfg.Optouts, logger: cfg.Logger, now: cfg.Now}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// subject is an address as every request handles it: normalised, and its suppression hash.
type subject struct {
	address string
	hash    []byte
}

func newSubject(address string) (subject, error) {
	n, err := suppression.Normalize(address)
	if err != nil {
		return subject{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	h := suppression.Hash(n)
	return subject{address: n, hash: h[:]}, nil
}
