package inbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kirje/kirje/inbound/dsn"
	"github.com/kirje/kirje/optout"
	"github.com/kirje/kirje/suppression"
	"github.com/kirje/kirje/token"
)

// ErrInvalid is returned (wrapped) by constructors for an unusable configuration.
var ErrInvalid = errors.New("inbound: invalid configuration")

// Unsubscriber records an opt-out; *optout.Service is one. A mailto unsubscribe goes exactly
// this way, like the one-click POST.
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, r optout.Request) error
}

// Config configures a Processor.
type Config struct {
	// Keys verifies VERP, mailto and unsubscribe tokens. Required.
	Keys *token.Keyring
	// SoftBounceLimit is how many soft bounces within SoftBounceWindow suppress an address
	// (default 3; negative: soft bounces never suppress).
	SoftBounceLimit int
	// SoftBounceWindow is the counting window (default 30 days).
	SoftBounceWindow time.Duration
	// QuarantineMaxBytes caps the raw bytes kept of a quarantined message (default 256 KiB,
	// at most 1 MiB, the table's limit).
	QuarantineMaxBytes int
	// Limits bound the parsing of one message (zero: package dsn's defaults).
	Limits dsn.Limits
	// Logger receives one line per outcome; default discards.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// maxQuarantineBytes is the inbound_quarantine.raw limit in the schema.
const maxQuarantineBytes = 1 << 20

func (c *Config) defaults() error {
	if c.Keys == nil {
		return fmt.Errorf("%w: no token keyring", ErrInvalid)
	}
	if c.SoftBounceLimit == 0 {
		c.SoftBounceLimit = 3
	}
	if c.SoftBounceWindow <= 0 {
		c.SoftBounceWindow = 30 * 24 * time.Hour
	}
	if c.QuarantineMaxBytes <= 0 {
		c.QuarantineMaxBytes = 256 << 10
	}
	c.QuarantineMaxBytes = min(c.QuarantineMaxBytes, maxQuarantineBytes)
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Deps are what a Processor reads and writes through. All are required for Process; Classify
// needs none of them (without DB it matches by tokens only).
type Deps struct {
	DB          *pgxpool.Pool
	Suppression *suppression.List
	Optout      Unsubscriber
}

// Processor runs the inbound pipeline. It is safe for concurrent use.
type Processor struct {
	cfg  Config
	deps Deps
	log  *slog.Logger
}

// NewProcessor returns a Processor; it fails with ErrInvalid when cfg has no Keys.
func NewProcessor(cfg Config, deps Deps) (*Processor, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return &Processor{cfg: cfg, deps: deps, log: cfg.Logger}, nil
}

// Envelope is how a message arrived.
type Envelope struct {
	From string // MAIL FROM ("" for bounces)
	// To are the RCPT TO addresses. Empty for a saved message: the addresses in its
	// X-Original-To, Delivered-To, To and Cc headers are used instead.
	To         []string
	RemoteAddr string // the SMTP client, for the quarantine
	Source     string // recorded in events: "smtp" or "file"
}

// Process classifies raw, matches it to sends, and applies the verdicts (see the package doc).
// It returns an error only when the result could not be made durable (database or suppression
// list unavailable): the caller should have the message sent again later, which records nothing
// twice. A message that cannot be read is quarantined, not an error.
func (p *Processor) Process(ctx context.Context, env Envelope, raw []byte) (Result, error) {
	if p.deps.DB == nil || p.deps.Suppression == nil || p.deps.Optout == nil {
		return Result{}, fmt.Errorf("%w: Process needs DB, Suppression and Optout", ErrInvalid)
	}
	return p.run(ctx, env, raw, true)
}

// Classify is Process without effects (a dry run): it parses, classifies and matches (reading
// the database when Deps.DB is set) and changes nothing.
func (p *Processor) Classify(ctx context.Context, env Envelope, raw []byte) (Result, error) {
	return p.run(ctx, env, raw, false)
}

func (p *Processor) run(ctx context.Context, env Envelope, raw []byte, apply bool) (Result, error) {
	rep, perr := dsn.Parse(raw, p.cfg.Limits)
	res := Result{}
	if perr != nil {
		res.Malformed = perr.Error()
		rep = &dsn.Report{Kind: dsn.KindOther, Recipients: []dsn.Recipient{{Verdict: dsn.Unclassified, Rule: "malformed"}}}
	}
	res.Kind, res.MessageID, res.Forwarded = rep.Kind, rep.MessageID, rep.Forwarded
	in := p.readEnvelope(env, rep)
	m := message{env: env, rep: rep, in: in, key: dedupeBase(rep.MessageID, raw), apply: apply}
	var err error
	if res.Outcomes, err = p.outcomes(ctx, m); err != nil {
		return res, err
	}
	if apply {
		if res.Quarantined, err = p.quarantineIfNeeded(ctx, env, raw, res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// message is one inbound message on its way through the pipeline.
type message struct {
	env   Envelope
	rep   *dsn.Report
	in    envelopeTokens
	key   string // the dedupe key's message part
	apply bool
}

// outcomes decides and applies every outcome of m: one unsubscribe per mailto recipient, and the
// report's recipients unless the message went to mailto addresses only.
func (p *Processor) outcomes(ctx context.Context, m message) ([]Outcome, error) {
	var out []Outcome
	for _, c := range m.in.mailto {
		o, err := p.unsubscribe(ctx, m, c)
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	if len(m.in.mailto) > 0 && !m.in.others {
		return out, nil
	}
	for i, r := range m.rep.Recipients {
		o, err := p.recipient(ctx, m, i, r)
		if err != nil {
			return out, err
		}
		out = append(out, o)
	}
	return out, nil
}
