package suppression

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzImportRows feeds arbitrary files to the import parser: it must never panic, must report
// bad rows as ErrInvalid, and every row it accepts must be a well-formed entry.
func FuzzImportRows(f *testing.F) {
	for _, seed := range []string{
		"email\nanna@example.fi\n",
		"Email,Domain,SHA256,brand_id,reason,source\n,corp.example,,,,\n,,d8cde54f1a50958d5b614a58320fc9d5ee1c1a8a7e560a29d2d0437487211239,2,bounce,x\n",
		"\ufeffemail;x\n\"a@b.fi\n",
		"domain\n@Bücher.de\nlocalhost\n",
		"email,sha256\nmatti@example.fi,00\n",
		"sha256\n\"\"\"\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := newCSVRows(bytes.NewReader(data), ImportOptions{Reason: ReasonImport})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("header error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		for range 10_000 {
			r, _, rowErr, err := rows.next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return // a read error of the underlying reader; bytes.Reader has none
			}
			if rowErr != nil {
				if !errors.Is(rowErr, ErrInvalid) {
					t.Fatalf("row error does not wrap ErrInvalid: %v", rowErr)
				}
				continue
			}
			checkRow(t, r)
		}
	})
}

func checkRow(t *testing.T, r row) {
	t.Helper()
	if (r.hash == nil) == (r.domain == "") {
		t.Fatalf("row has both or neither of hash and domain: %+v", r)
	}
	if r.hash != nil && len(r.hash) != 32 {
		t.Fatalf("hash of %d bytes", len(r.hash))
	}
	if r.domain != "" {
		if d, err := NormalizeDomain(r.domain); err != nil || d != r.domain {
			t.Fatalf("domain %q not normalised (%q, %v)", r.domain, d, err)
		}
	}
	if r.address != "" {
		if n, err := Normalize(r.address); err != nil || n != r.address || !bytes.Equal(hashSlice(n), r.hash) {
			t.Fatalf("address %q not normalised or hash mismatch", r.address)
		}
	}
	if !r.reason.Valid() || r.brandID < 0 {
		t.Fatalf("bad reason or brand: %+v", r)
	}
}
