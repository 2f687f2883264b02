package events

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// wireVersion starts every stream entry written in the binary form. Entries written by earlier
// versions are JSON arrays (they start with '['), which decodeWire still reads, so a stream
// survives an upgrade with entries in it.
const wireVersion = 1

// appendWire appends e to buf in the stream's binary form: fields in a fixed order, integers as
// varints, strings length-prefixed, Data as JSON. It costs a fraction of encoding/json, on the
// request path of every open and click.
func appendWire(buf []byte, e Event) ([]byte, error) {
	buf = appendString(buf, string(e.Type))
	buf = binary.AppendVarint(buf, e.OccurredAt.UnixMicro())
	buf = binary.AppendVarint(buf, e.CampaignID)
	buf = binary.AppendVarint(buf, e.ContactID)
	buf = binary.AppendVarint(buf, e.BrandID)
	buf = binary.AppendVarint(buf, int64(e.LinkID))
	buf = appendString(buf, e.IP)
	buf = appendString(buf, e.UserAgent)
	if e.Machine {
		buf = append(buf, 1)
	} else {
		buf = append(buf, 0)
	}
	buf = binary.AppendUvarint(buf, uint64(len(e.Signals)))
	for _, s := range e.Signals {
		buf = appendString(buf, s)
	}
	buf = appendString(buf, e.Reason)
	if e.Data == nil {
		return binary.AppendUvarint(buf, 0), nil
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return buf, fmt.Errorf("events: encode data: %w", err)
	}
	return appendString(buf, string(data)), nil
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// errWire is returned for a payload that is not a well-formed entry.
var errWire = errors.New("malformed stream entry")

// wireReader reads the fields appendWire wrote; the first failure sticks in err. String fields
// are sliced from s, the payload as the stream returned it, instead of copied one by one: the
// events of an entry live only until they are stored.
type wireReader struct {
	b   []byte // what is left to read: a copy of s from where reading started
	s   string
	err error
}

func (r *wireReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errWire
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errWire
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errWire
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *wireReader) string() string {
	b := r.bytes()
	end := len(r.s) - len(r.b)
	return r.s[end-len(b) : end]
}

func (r *wireReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = errWire
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// decodeWire appends the events of one stream entry's payload to out; on error, out may hold
// some of them.
func decodeWire(out []Event, payload string) ([]Event, error) {
	if len(payload) == 0 {
		return out, errWire
	}
	if payload[0] == '[' {
		evs, err := decodeLegacyJSON([]byte(payload))
		return append(out, evs...), err
	}
	if payload[0] != wireVersion {
		return out, fmt.Errorf("%w: unknown version %d", errWire, payload[0])
	}
	r := wireReader{b: []byte(payload[1:]), s: payload[1:]}
	var sigs []string
	for len(r.b) > 0 && r.err == nil {
		var e Event
		e.Type = Type(r.string())
		e.OccurredAt = time.UnixMicro(r.varint()).UTC()
		e.CampaignID = r.varint()
		e.ContactID = r.varint()
		e.BrandID = r.varint()
		e.LinkID = int(r.varint())
		e.IP = r.string()
		e.UserAgent = r.string()
		switch r.byte() {
		case 0:
		case 1:
			e.Machine = true
		default:
			r.err = errWire
		}
		n := r.uvarint()
		if n > uint64(len(r.b)) { // each signal takes at least a byte
			r.err = errWire
		}
		if r.err == nil && n > 0 {
			// Every event's signals are carved from one backing array per entry (or a few),
			// not allocated each.
			if cap(sigs)-len(sigs) < int(n) {
				sigs = make([]string, 0, max(64, 2*n))
			}
			start := len(sigs)
			for range n {
				sigs = append(sigs, r.string())
			}
			e.Signals = sigs[start:len(sigs):len(sigs)]
		}
		e.Reason = r.string()
		if data := r.bytes(); r.err == nil && len(data) > 0 {
			if err := json.Unmarshal(data, &e.Data); err != nil {
				return out, fmt.Errorf("%w: data: %v", errWire, err)
			}
		}
		if r.err == nil && e.Type == "" {
			r.err = fmt.Errorf("%w: event without a type", errWire)
		}
		out = append(out, e)
	}
	if r.err != nil {
		return out, r.err
	}
	return out, nil
}

// legacyEvent is an Event as entries written before the binary form carried it.
type legacyEvent struct {
	Type       Type           `json:"t"`
	OccurredAt int64          `json:"at"` // unix microseconds
	CampaignID int64          `json:"ca,omitempty"`
	ContactID  int64          `json:"co,omitempty"`
	BrandID    int64          `json:"b,omitempty"`
	LinkID     int            `json:"l,omitempty"`
	IP         string         `json:"ip,omitempty"`
	UserAgent  string         `json:"ua,omitempty"`
	Machine    bool           `json:"m,omitempty"`
	Signals    []string       `json:"s,omitempty"`
	Reason     string         `json:"r,omitempty"`
	Data       map[string]any `json:"d,omitempty"`
}

func decodeLegacyJSON(payload []byte) ([]Event, error) {
	var wire []legacyEvent
	if err := json.Unmarshal(payload, &wire); err != nil {
		return nil, err
	}
	out := make([]Event, len(wire))
	for i, w := range wire {
		out[i] = Event{
			Type: w.Type, OccurredAt: time.UnixMicro(w.OccurredAt).UTC(), CampaignID: w.CampaignID,
			ContactID: w.ContactID, BrandID: w.BrandID, LinkID: w.LinkID, IP: w.IP, UserAgent: w.UserAgent,
			Machine: w.Machine, Signals: w.Signals, Reason: w.Reason, Data: w.Data,
		}
	}
	return out, nil
}
