package suppression_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/suppression"
)

func TestImportReportsBadRowsByLine(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := b.brand(t, "A")
	h := suppression.Hash("hashed@example.fi")
	file := fmt.Sprintf(`Email,Domain,SHA256,brand_id,Reason,note
anna@example.fi,,,,,ok
,corp.example,,,,ok
,,%x,,,hash only
bad-address,,,,,line 5: invalid
,localhost,,,,line 6: no dot
,,abcd,,,line 7: short hash
x@example.fi,example.fi,,,,line 8: both
,,,,,line 9: nothing
brand@example.fi,,,%d,,ok
brand@example.fi,,,999999,,line 11: unknown brand
why@example.fi,,,,because,line 12: bad reason
"unterminated,,,,,line 13
`, h, brand)
	res, err := b.list.Import(b.ctx, strings.NewReader(file), suppression.ImportOptions{Actor: "staff"})
	require.NoError(t, err)
	assert.Equal(t, 4, res.Added)
	assert.Equal(t, 0, res.Existing)
	lines := make([]int, len(res.Errors))
	for i, e := range res.Errors {
		lines[i] = e.Line
	}
	assert.ElementsMatch(t, []int{5, 6, 7, 8, 9, 11, 12, 13}, lines, "%+v", res.Errors)
	assert.Equal(t, len(lines), res.Rejected)

	for _, addr := range []string{"anna@example.fi", "ceo@corp.example", "hashed@example.fi"} {
		assert.True(t, b.suppressed(t, 0, addr), addr)
	}
	assert.True(t, b.suppressed(t, brand, "brand@example.fi"))
	assert.False(t, b.suppressed(t, 0, "brand@example.fi"), "brand_id column scopes the row")

	again, err := b.list.Import(b.ctx, strings.NewReader(file), suppression.ImportOptions{})
	require.NoError(t, err)
	assert.Equal(t, 0, again.Added)
	assert.Equal(t, 4, again.Existing)

	var events int
	require.NoError(t, b.db.Pool.QueryRow(b.ctx, `SELECT count(*) FROM events WHERE type = 'suppression_added'`).Scan(&events))
	assert.Equal(t, 4, events)
}

func TestImportRejectsFileWithoutKnownColumn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.list.Import(b.ctx, strings.NewReader("name,phone\nMatti,040\n"), suppression.ImportOptions{})
	require.ErrorIs(t, err, suppression.ErrInvalid)
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	src := setup(t)
	brand := src.brand(t, "A")
	h := suppression.Hash("hash-only@example.fi")
	for _, in := range []suppression.Input{
		{Address: "a@example.fi", Reason: suppression.ReasonUnsubscribe, Source: "one-click"},
		{Address: "b@example.fi", Reason: suppression.ReasonBounce, BrandID: brand},
		{Domain: "c.example", Reason: suppression.ReasonManual},
		{AddressHash: h[:], Reason: suppression.ReasonErasure},
		// Free text a spreadsheet would run as a formula is exported inert and imported as it was.
		{Address: "-2+3+cmd@example.fi", Reason: suppression.ReasonManual, Source: `=HYPERLINK("http://evil.example")`},
	} {
		src.add(t, in)
	}
	src.seed(t, 6000) // hash-only rows, more than one import chunk
	var out bytes.Buffer
	n, err := src.list.Export(src.ctx, &out)
	require.NoError(t, err)
	assert.EqualValues(t, 6005, n)
	records, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
	require.NoError(t, err)
	require.Len(t, records, 6006, "a header and one row per entry")
	assert.Equal(t, []string{"'-2+3+cmd@example.fi", `'=HYPERLINK("http://evil.example")`},
		[]string{records[5][1], records[5][6]}, "the email and source cells of the last entry added")

	dst := setup(t)
	require.Equal(t, brand, dst.brand(t, "A"), "the same brand ID in the other installation")
	res, err := dst.list.Import(dst.ctx, bytes.NewReader(out.Bytes()), suppression.ImportOptions{Actor: "migration"})
	require.NoError(t, err)
	assert.Equal(t, 6005, res.Added, "%+v", res.Errors)
	assert.Zero(t, res.Rejected)

	want, err := src.list.List(src.ctx, suppression.ListOptions{Limit: 5})
	require.NoError(t, err)
	got, err := dst.list.List(dst.ctx, suppression.ListOptions{Limit: 5})
	require.NoError(t, err)
	for i := range want {
		assert.Equal(t, want[i].AddressHash, got[i].AddressHash)
		assert.Equal(t, want[i].Address, got[i].Address)
		assert.Equal(t, want[i].Domain, got[i].Domain)
		assert.Equal(t, want[i].BrandID, got[i].BrandID)
		assert.Equal(t, want[i].Reason, got[i].Reason)
		if want[i].Source != "" {
			assert.Equal(t, want[i].Source, got[i].Source)
		}
		assert.Equal(t, "migration", got[i].Actor)
	}
	assert.True(t, dst.suppressed(t, 0, "hash-only@example.fi"))
	assert.True(t, dst.suppressed(t, 0, bulkAddress(5999)))
	stale, err := dst.list.Verify(dst.ctx)
	require.NoError(t, err)
	assert.False(t, stale, "imported chunks were mirrored")
}

// A long import reports its progress after each committed chunk of 5,000 rows, counting the
// rows read, bad ones included.
func TestImportReportsProgressPerChunk(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var file strings.Builder
	file.WriteString("email\n")
	for i := range 10_001 {
		if i == 7 {
			file.WriteString("not-an-address\n")
			continue
		}
		fmt.Fprintf(&file, "user%d@progress.example\n", i)
	}
	var reported []int
	res, err := b.list.Import(b.ctx, strings.NewReader(file.String()), suppression.ImportOptions{
		Actor: "staff", Progress: func(n int) { reported = append(reported, n) }})
	require.NoError(t, err)
	assert.Equal(t, 10_000, res.Added)
	assert.Equal(t, 1, res.Rejected)
	assert.Equal(t, []int{5001, 10001}, reported)
}
