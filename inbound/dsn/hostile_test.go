package dsn_test

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound/dsn"
)

// nested builds a message of depth nested multiparts.
func nested(depth int) []byte {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\n\n<a@b.fi>: 550 5.1.1 user unknown\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\n", i)
	}
	return b.Bytes()
}

func TestParseHostileInput(t *testing.T) {
	t.Parallel()
	manyParts := "From: MAILER-DAEMON@x.example\nContent-Type: multipart/mixed; boundary=p\n\n" +
		strings.Repeat("--p\nContent-Type: text/plain\n\nx\n", 500) + "--p--\n"
	tests := []struct {
		name      string
		raw       []byte
		malformed bool
	}{
		{"deeply nested multipart", nested(1000), true},
		{"nested within the limit", nested(4), false},
		{"too many parts", []byte(manyParts), true},
		{"huge header line", []byte("Subject: " + strings.Repeat("A", 4<<20) + "\n\nbody"), false},
		{"many header lines", []byte(strings.Repeat("X-Junk: 1\n", 100000) + "\nbody"), false},
		{"huge diagnostic", []byte("Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.fi\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; " + strings.Repeat("550 ", 1<<20) + "\n--x--\n"), false},
		{"thousands of recipients", []byte("Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\n" + strings.Repeat("Final-Recipient: rfc822; a@b.fi\nAction: failed\nStatus: 5.1.1\n\n", 10000) + "--x--\n"), false},
		{"invalid base64", []byte("From: MAILER-DAEMON@x.example\nContent-Transfer-Encoding: base64\n\n!!!!****ZZZ=====\x00\xff"), false},
		{"invalid quoted-printable", []byte("From: MAILER-DAEMON@x.example\nContent-Transfer-Encoding: quoted-printable\n\n=ZZ=\n=0"), false},
		{"unknown charset", []byte("From: MAILER-DAEMON@x.example\nContent-Type: text/plain; charset=x-klingon\n\n550 5.1.1 <a@b.fi> user unknown\xff\xfe"), false},
		{"invalid UTF-8 and NUL everywhere", []byte("From: \xff\x00 <MAILER-DAEMON@x.example>\nSubject: =?utf-8?b?/w==?= \x00\n\n<a@b.fi>: 550 5.1.1 \x00\xc3\x28 user unknown"), false},
		{"multipart without its closing boundary", []byte("Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.fi\nAction: failed\nStatus: 5.1.1\n"), false},
		{"multipart with a broken Content-Type", []byte("Content-Type: multipart/report; boundary=\"unterminated\n\nhello"), false},
		{"empty", []byte(""), true},
		{"header only", []byte("From: a@b.fi\n"), false},
		{"binary garbage", bytes.Repeat([]byte{0, 1, 2, 0xff, '\n'}, 1000), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			rep, err := dsn.Parse(tt.raw, dsn.Limits{})
			assert.Less(t, time.Since(start), 5*time.Second, "bounded work")
			if tt.malformed {
				require.ErrorIs(t, err, dsn.ErrMalformed)
				return
			}
			require.NoError(t, err)
			require.NotEmpty(t, rep.Recipients)
			assert.LessOrEqual(t, len(rep.Recipients), 100)
			checkStrings(t, reflect.ValueOf(*rep), "Report")
		})
	}
}
