package dsn_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/inbound/dsn"
)

// FuzzParse feeds arbitrary bytes to Parse (seeded with the corpus): it must not panic, must
// return a Report with at least one recipient or an ErrMalformed error, and every string it
// returns must be storable as it is (valid UTF-8, no control characters, bounded).
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add([]byte(fill(string(b))))
	}
	f.Add([]byte("Content-Type: multipart/report; boundary=x; report-type=delivery-status\n\n--x\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.fi\nAction: failed\nStatus: 5.1.1\n--x--\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := dsn.Parse(raw, dsn.Limits{})
		if err != nil {
			require.ErrorIs(t, err, dsn.ErrMalformed)
			return
		}
		require.NotEmpty(t, rep.Recipients)
		checkStrings(t, reflect.ValueOf(*rep), "Report")
	})
}

// checkStrings walks v and fails on any string that could not be stored or printed as it is.
func checkStrings(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		require.True(t, utf8.ValidString(s), "%s is not valid UTF-8: %q", path, s)
		require.LessOrEqual(t, len(s), 1000, "%s is too long", path)
		require.False(t, strings.ContainsFunc(s, unicode.IsControl), "%s has a control character: %q", path, s)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			checkStrings(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			checkStrings(t, v.Index(i), path)
		}
	case reflect.Pointer:
		if !v.IsNil() {
			checkStrings(t, v.Elem(), path)
		}
	}
}
