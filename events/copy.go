package events

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// copySQL is the COPY that copyEvents streams rows into, in PostgreSQL's binary copy format. The
// columns are in the order appendCopyRow writes them.
const copySQL = `COPY events (type, occurred_at, campaign_id, contact_id, brand_id, link_id, ip, user_agent,
                    machine, signals, reason, data, dedupe_key) FROM STDIN (FORMAT binary)`

// copyFields is the number of columns copySQL names.
const copyFields = 13

// storedKeysSQL finds which of the given dedupe keys are stored already.
const storedKeysSQL = `SELECT dedupe_key FROM events WHERE dedupe_key = ANY($1)`

func storedKeys(ctx context.Context, tx pgx.Tx, keys []string) (map[string]bool, error) {
	stored := make(map[string]bool)
	if len(keys) == 0 {
		return stored, nil
	}
	rows, err := tx.Query(ctx, storedKeysSQL, keys)
	if err != nil {
		return nil, fmt.Errorf("events: stored keys: %w", err)
	}
	k, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("events: stored keys: %w", err)
	}
	for _, key := range k {
		stored[key] = true
	}
	return stored, nil
}

// Copy writes events in tx with COPY: for many events at once, the cheapest way in (the worker's
// sent and dropped events). It has no conflict handling, so it refuses events with a DedupeKey
// (use Insert for those: it skips keys stored already). Events without OccurredAt are stored with
// the current time; evs itself is not changed. It returns how many rows were written.
func Copy(ctx context.Context, tx pgx.Tx, evs []Event) (int64, error) {
	cloned := false
	for i := range evs {
		switch {
		case evs[i].Type == "":
			return 0, fmt.Errorf("events: copy: event %d has no type", i)
		case evs[i].DedupeKey != "":
			return 0, fmt.Errorf("events: copy: event %d has a dedupe key; use Insert", i)
		case evs[i].OccurredAt.IsZero():
			if !cloned {
				evs, cloned = slices.Clone(evs), true
			}
			evs[i].OccurredAt = time.Now()
		}
	}
	return copyEvents(ctx, tx, evs)
}

// copyEvents writes evs into events with COPY and no conflict handling: a stored dedupe key
// fails the whole COPY. The caller has ruled that out (the Ingester checks each entry's key
// first; a concurrent writer of the same entry makes one of the two transactions fail and retry).
//
// The rows are encoded here rather than by pgx's CopyFrom: the events table's columns are fixed,
// and pgx, which plans the encoding of every value through its type map, spent more of the
// ingester's time on that than on anything else.
func copyEvents(ctx context.Context, tx pgx.Tx, evs []Event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, &copyReader{evs: evs}, copySQL)
	if err != nil {
		return 0, fmt.Errorf("events: copy: %w", err)
	}
	return tag.RowsAffected(), nil
}

// copyReader is the binary COPY data of a slice of events, encoded a few rows at a time as it is
// read, so that a large round never holds all of it in memory at once.
type copyReader struct {
	evs     []Event
	next    int  // the first event not yet encoded
	started bool // the header is written
	ended   bool // the trailer is written
	buf     []byte
	off     int // read position in buf
}

// copyChunk is about how much copyReader encodes at a time.
const copyChunk = 32 << 10

func (r *copyReader) Read(p []byte) (int, error) {
	if r.off == len(r.buf) {
		if r.ended {
			return 0, io.EOF
		}
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	return n, nil
}

// fill encodes the next rows into buf (the header before the first, the trailer after the last).
func (r *copyReader) fill() error {
	buf := r.buf[:0]
	if !r.started {
		buf = append(buf, copyHeader...)
		r.started = true
	}
	for r.next < len(r.evs) && len(buf) < copyChunk {
		var err error
		if buf, err = appendCopyRow(buf, &r.evs[r.next]); err != nil {
			return fmt.Errorf("event %d: %w", r.next, err)
		}
		r.next++
	}
	if r.next == len(r.evs) {
		buf = binary.BigEndian.AppendUint16(buf, 0xffff) // trailer: a field count of -1
		r.ended = true
	}
	r.buf, r.off = buf, 0
	return nil
}

// copyHeader starts binary COPY data: the signature, no flags, no header extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// pgEpoch is where PostgreSQL's timestamps count from, in Unix microseconds.
const pgEpoch = 946684800 * int64(time.Second/time.Microsecond)

// textOID is the element type of the signals array.
const textOID = 25

// appendCopyRow appends e as one row of binary COPY data, in copySQL's column order. Zero IDs and
// empty optional strings are NULL, as the table has always stored them.
func appendCopyRow(buf []byte, e *Event) ([]byte, error) {
	buf = binary.BigEndian.AppendUint16(buf, copyFields)
	buf = appendCopyText(buf, string(e.Type))
	buf = binary.BigEndian.AppendUint32(buf, 8)
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.OccurredAt.UnixMicro()-pgEpoch))
	for _, id := range [...]int64{e.CampaignID, e.ContactID, e.BrandID} {
		if id == 0 {
			buf = appendCopyNull(buf)
			continue
		}
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(id))
	}
	switch {
	case e.LinkID == 0:
		buf = appendCopyNull(buf)
	case e.LinkID < math.MinInt32 || e.LinkID > math.MaxInt32:
		return buf, fmt.Errorf("link ID %d is out of range", e.LinkID)
	default:
		buf = binary.BigEndian.AppendUint32(buf, 4)
		buf = binary.BigEndian.AppendUint32(buf, uint32(int32(e.LinkID)))
	}
	buf = appendCopyOptional(buf, e.IP)
	buf = appendCopyOptional(buf, e.UserAgent)
	buf = binary.BigEndian.AppendUint32(buf, 1)
	if e.Machine {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	buf = appendCopyTextArray(buf, e.Signals)
	buf = appendCopyText(buf, e.Reason)
	if e.Data == nil {
		buf = appendCopyNull(buf)
	} else {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return buf, fmt.Errorf("data: %w", err)
		}
		buf = binary.BigEndian.AppendUint32(buf, uint32(1+len(data)))
		buf = append(buf, 1) // jsonb's binary form: a version byte, then the JSON text
		buf = append(buf, data...)
	}
	return appendCopyOptional(buf, e.DedupeKey), nil
}

func appendCopyNull(buf []byte) []byte { return binary.BigEndian.AppendUint32(buf, math.MaxUint32) } // -1

func appendCopyText(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

// appendCopyOptional writes "" as NULL.
func appendCopyOptional(buf []byte, s string) []byte {
	if s == "" {
		return appendCopyNull(buf)
	}
	return appendCopyText(buf, s)
}

// appendCopyTextArray writes a one-dimensional text[] with no NULLs; nil is the empty array (the
// column is NOT NULL).
func appendCopyTextArray(buf []byte, ss []string) []byte {
	size := 12 // dimensions, has-nulls flag, element type
	if len(ss) > 0 {
		size += 8 // the dimension's length and lower bound
		for _, s := range ss {
			size += 4 + len(s)
		}
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(size))
	if len(ss) == 0 {
		buf = binary.BigEndian.AppendUint32(buf, 0)
		buf = binary.BigEndian.AppendUint32(buf, 0)
		return binary.BigEndian.AppendUint32(buf, textOID)
	}
	buf = binary.BigEndian.AppendUint32(buf, 1)
	buf = binary.BigEndian.AppendUint32(buf, 0)
	buf = binary.BigEndian.AppendUint32(buf, textOID)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(ss)))
	buf = binary.BigEndian.AppendUint32(buf, 1)
	for _, s := range ss {
		buf = appendCopyText(buf, s)
	}
	return buf
}
