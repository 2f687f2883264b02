package mailer

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wireConn is the network under a writeCoalescer: it records every write it is given and
// answers reads from replies.
type wireConn struct {
	net.Conn // nil: only Read, Write and Close are called
	writes   [][]byte
	replies  io.Reader
	failAt   int // the write (1-based) that fails; 0: none
	closed   bool
}

func (c *wireConn) Write(p []byte) (int, error) {
	if c.failAt == len(c.writes)+1 {
		return 0, errors.New("broken pipe")
	}
	c.writes = append(c.writes, bytes.Clone(p))
	return len(p), nil
}

func (c *wireConn) Read(p []byte) (int, error) { return c.replies.Read(p) }
func (c *wireConn) Close() error               { c.closed = true; return nil }

func TestWriteCoalescer(t *testing.T) {
	big := strings.Repeat("x", coalesceLimit+1)
	tests := []struct {
		name   string
		steps  []string // "w:TEXT" writes TEXT, "r" reads a reply, "c" closes
		failAt int
		want   []string // the writes the network saw, in order
		errAt  int      // the step (0-based) that must fail; -1: none
	}{
		{
			name:  "a command is written when its reply is read",
			steps: []string{"w:MAIL FROM:<a@x>\r\n", "r"},
			want:  []string{"MAIL FROM:<a@x>\r\n"},
			errAt: -1,
		},
		{
			name:  "a message body written in pieces goes out once, with its dot",
			steps: []string{"w:DATA\r\n", "r", "w:Subject: hi\r\n", "w:\r\nbody\r\n", "w:.\r\n", "r"},
			want:  []string{"DATA\r\n", "Subject: hi\r\n\r\nbody\r\n.\r\n"},
			errAt: -1,
		},
		{
			name:  "nothing is written before a reply is awaited",
			steps: []string{"w:RSET\r\n"},
			want:  nil,
			errAt: -1,
		},
		{
			name:  "what is held when the connection closes is discarded",
			steps: []string{"w:DATA\r\n", "r", "w:half a body", "c"},
			want:  []string{"DATA\r\n"},
			errAt: -1,
		},
		{
			name:  "a write over the limit flushes what is held and goes out as it is",
			steps: []string{"w:head", "w:" + big, "r"},
			want:  []string{"head", big},
			errAt: -1,
		},
		{
			name:   "a failed write fails the read that sent it, and every write after",
			steps:  []string{"w:MAIL FROM:<a@x>\r\n", "r", "w:RCPT TO:<b@y>\r\n"},
			failAt: 1,
			want:   nil,
			errAt:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wire := &wireConn{replies: strings.NewReader(strings.Repeat("250 ok\r\n", 10)), failAt: tc.failAt}
			w := &writeCoalescer{Conn: wire}
			failed := -1
			for i, step := range tc.steps {
				var err error
				switch {
				case strings.HasPrefix(step, "w:"):
					var n int
					n, err = w.Write([]byte(step[2:]))
					if err == nil {
						assert.Equal(t, len(step)-2, n, "step %d: bytes written", i)
					}
				case step == "r":
					_, err = w.Read(make([]byte, 8))
				case step == "c":
					require.NoError(t, w.Close())
					assert.True(t, wire.closed)
				}
				if err != nil && failed < 0 {
					failed = i
				}
				if failed >= 0 && i > failed {
					assert.Error(t, err, "step %d after the failure", i)
				}
			}
			assert.Equal(t, tc.errAt, failed, "the first step that failed")
			got := make([]string, len(wire.writes))
			for i, b := range wire.writes {
				got[i] = string(b)
			}
			if tc.want == nil {
				assert.Empty(t, got)
			} else {
				assert.Equal(t, tc.want, got)
			}
		})
	}
}
