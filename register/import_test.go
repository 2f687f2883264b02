package register_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/register"
)

func (b bundle) importCSV(t *testing.T, data string, opts register.ImportOptions) register.ImportResult {
	t.Helper()
	res, err := register.NewImporter(b.db.Pool, nil).Import(b.ctx, strings.NewReader(data), opts)
	require.NoError(t, err)
	return res
}

func TestImportSampleFile(t *testing.T) {
	b := setup(t)
	f, err := os.Open("testdata/contacts.csv")
	require.NoError(t, err)
	defer f.Close()
	var progress []int
	res, err := register.NewImporter(b.db.Pool, nil).Import(b.ctx, f, register.ImportOptions{
		Progress: func(n int) { progress = append(progress, n) }, Source: "import contacts.csv", Actor: "tester",
	})
	require.NoError(t, err)

	assert.Equal(t, 6, res.Imported)
	assert.Equal(t, 1, res.Updated, "line 12 repeats line 2's email")
	assert.Equal(t, 4, res.Rejected)
	assert.Equal(t, []int{11}, progress)
	require.Len(t, res.Errors, 4)
	wantLines := []int{5, 7, 9, 10}
	wantReason := []string{"email", "business_id", "kind", "row has 9 fields but the header has 15"}
	for i, e := range res.Errors {
		assert.Equal(t, wantLines[i], e.Line)
		assert.Contains(t, e.Reason, wantReason[i])
	}
	assert.Equal(t, "not-an-email", res.Errors[0].Email)

	matti, err := b.store.ContactByEmail(b.ctx, "matti.virtanen@puuhaus.example")
	require.NoError(t, err)
	assert.Equal(t, "Senior Purchasing Manager", matti.JobTitle, "the later row wins")
	assert.Equal(t, "Matti", matti.FirstName, "its empty cells keep the earlier values")
	assert.Equal(t, map[string]any{"lead_source": "trade fair"}, matti.Attributes)
	liisa, err := b.store.ContactByEmail(b.ctx, "liisa.korhonen@puuhaus.example")
	require.NoError(t, err)
	assert.Equal(t, matti.CompanyID, liisa.CompanyID)
	co, err := b.store.Company(b.ctx, matti.CompanyID)
	require.NoError(t, err)
	assert.Equal(t, register.Company{ID: co.ID, Name: "Puuhaus Oy", BusinessID: "2345678-0", Country: "FI",
		CreatedAt: co.CreatedAt, UpdatedAt: co.UpdatedAt}, co)
	assert.Equal(t, 4, b.count(t, "companies"))

	sari, err := b.store.ContactByEmail(b.ctx, "sari.heikkinen@gmail.example")
	require.NoError(t, err)
	assert.Equal(t, register.B2C, sari.Kind)
	require.NotNil(t, sari.ConsentAt)
	ok, _ := sari.Mailable()
	assert.True(t, ok)
	hist, err := b.store.Permissions(b.ctx, sari.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, register.Permission{ID: hist[0].ID, ContactID: sari.ID, Action: register.ActionConsent,
		Source: "import contacts.csv", Actor: "tester", Note: "CSV line 8", CreatedAt: *sari.ConsentAt}, hist[0])
	assert.Equal(t, 1, b.count(t, "marketing_permissions"))
}

func TestImportBadRowsLoseNothingStored(t *testing.T) {
	b := setup(t)
	stored := b.contact(t, "keep@example.fi", func(in *register.ContactInput) {
		in.FirstName, in.Phone, in.Kind = "Kalle", "+358 1", register.B2C
		in.Attributes = map[string]any{"a": "1"}
	})
	res := b.importCSV(t, "email,first_name,phone,kind\nKEEP@example.fi,Kaarlo,,b2x\nkeep@example.fi,\"Ka\"rl,,\n", register.ImportOptions{})
	assert.Equal(t, 2, res.Rejected)
	assert.Zero(t, res.Imported+res.Updated)
	got, err := b.store.Contact(b.ctx, stored.ID)
	require.NoError(t, err)
	assert.Equal(t, stored, got, "rejected rows change nothing")
}

func TestImportUpdatesOnlyGivenValues(t *testing.T) {
	b := setup(t)
	stored := b.contact(t, "anna@example.fi", func(in *register.ContactInput) {
		in.FirstName, in.LastName, in.Phone, in.Kind, in.CompanyName = "Anna", "Aalto", "+358 1", register.B2C, "Acme Oy"
		in.Attributes = map[string]any{"fair": "2024", "score": "3"}
	})
	// Semicolons, a BOM, header case and spacing as Excel in Finland writes them.
	data := "\uFEFF E-Mail ;LAST_NAME;Score;Newsletter\r\nAnna@Example.FI;Aalto-Berg;5;\r\nnew@example.fi;;;weekly\r\n"
	res := b.importCSV(t, data, register.ImportOptions{})
	assert.Equal(t, register.ImportResult{Imported: 1, Updated: 1, Encoding: register.EncodingUTF8}, res)

	got, err := b.store.Contact(b.ctx, stored.ID)
	require.NoError(t, err)
	assert.Equal(t, "Aalto-Berg", got.LastName)
	assert.Equal(t, "Anna", got.FirstName, "absent column kept")
	assert.Equal(t, "+358 1", got.Phone)
	assert.Equal(t, register.B2C, got.Kind, "absent kind column keeps the kind")
	assert.Equal(t, stored.CompanyID, got.CompanyID, "absent company keeps the link")
	assert.Equal(t, map[string]any{"fair": "2024", "score": "5"}, got.Attributes, "attributes merged; empty cell not stored")

	n, err := b.store.ContactByEmail(b.ctx, "new@example.fi")
	require.NoError(t, err)
	assert.Equal(t, register.B2B, n.Kind)
	assert.Equal(t, map[string]any{"newsletter": "weekly"}, n.Attributes)
}

func TestImportKindsBansAndChunks(t *testing.T) {
	b := setup(t)
	banned := b.contact(t, "banned@example.fi")
	_, err := b.store.RecordPermission(b.ctx, banned.ID, register.ActionBan, "api", "admin", "")
	require.NoError(t, err)
	b.contact(t, "kind@example.fi", withKind(register.B2C))

	var sb strings.Builder
	sb.WriteString("email,kind,banned,company,business_id\n")
	sb.WriteString("kind@example.fi,B2B,no,,\n")            // line 2: kind changes back
	sb.WriteString("banned@example.fi,,yes,,\n")            // line 3: already banned: no new history
	sb.WriteString("x1@example.fi,,yes,Paja Oy,\n")         // line 4
	sb.WriteString("x2@example.fi,b2c,,PAJA OY,\n")         // line 5: same company by name
	sb.WriteString("x1@example.fi,,,,\n")                   // line 6: next chunk, same email
	sb.WriteString("x3@example.fi,,,Nokia Oyj,0112038-9\n") // line 7
	sb.WriteString("x4@example.fi,,,,112038-9\n")           // line 8: same company by ID, no name
	var progress []int
	res := b.importCSV(t, sb.String(), register.ImportOptions{ChunkSize: 4, Progress: func(n int) { progress = append(progress, n) }})
	assert.Equal(t, register.ImportResult{Imported: 4, Updated: 3, Encoding: register.EncodingUTF8}, res)
	assert.Equal(t, []int{4, 7}, progress)

	k, err := b.store.ContactByEmail(b.ctx, "kind@example.fi")
	require.NoError(t, err)
	assert.Equal(t, register.B2B, k.Kind)
	x1, err := b.store.ContactByEmail(b.ctx, "x1@example.fi")
	require.NoError(t, err)
	require.NotNil(t, x1.BannedAt)
	x2, err := b.store.ContactByEmail(b.ctx, "x2@example.fi")
	require.NoError(t, err)
	assert.Equal(t, register.B2C, x2.Kind)
	assert.Equal(t, x1.CompanyID, x2.CompanyID)
	assert.NotZero(t, x1.CompanyID)
	x3, err := b.store.ContactByEmail(b.ctx, "x3@example.fi")
	require.NoError(t, err)
	x4, err := b.store.ContactByEmail(b.ctx, "x4@example.fi")
	require.NoError(t, err)
	assert.Equal(t, x3.CompanyID, x4.CompanyID)
	nokia, err := b.store.Company(b.ctx, x3.CompanyID)
	require.NoError(t, err)
	assert.Equal(t, "Nokia Oyj", nokia.Name, "a later row of the chunk without a name keeps the earlier one")
	assert.Equal(t, 2, b.count(t, "companies"))

	hist, err := b.store.Permissions(b.ctx, x1.ID)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.Equal(t, register.Permission{ID: hist[0].ID, ContactID: x1.ID, Action: register.ActionBan,
		Source: "import", Actor: "system", Note: "CSV line 4", CreatedAt: hist[0].CreatedAt}, hist[0])
	assert.Equal(t, 2, b.count(t, "marketing_permissions"), "the already banned contact got no second ban")
}

func TestImportCompanyWebsiteAndLocation(t *testing.T) {
	b := setup(t)
	company := func(t *testing.T, email string) register.Company {
		t.Helper()
		c, err := b.store.ContactByEmail(b.ctx, email)
		require.NoError(t, err)
		require.NotZero(t, c.CompanyID, email)
		co, err := b.store.Company(b.ctx, c.CompanyID)
		require.NoError(t, err)
		return co
	}
	res := b.importCSV(t, strings.Join([]string{
		"email,company,business_id,Company Website,COMPANY_LOCATION,Notes",
		"a@puuhaus.example,Puuhaus Oy,2345678-0, www.puuhaus.example ,Lahti,x",
		"b@puuhaus.example,Puuhaus Oy,2345678-0,,,",       // same company, nothing to add: keeps a's
		"c@paja.example,Paja Oy,,https://paja.example/,,", // by name
		"d@paja.example,PAJA OY,,,Tampere,",               // same company, adds the location
		"c@paja.example,Paja Oy,,,,",                      // c again: its earlier row's website stays
		"e@private.example,,,www.private.example,Oulu,",   // no company: ignored
		"f@bad.example,Bad Oy,,www.bad example,,",         // rejected
	}, "\n"), register.ImportOptions{})
	assert.Equal(t, 5, res.Imported)
	assert.Equal(t, 1, res.Updated)
	require.Equal(t, 1, res.Rejected)
	assert.Equal(t, register.RowError{Line: 8, Email: "f@bad.example", Reason: "invalid company_website: contains whitespace"}, res.Errors[0])
	assert.Equal(t, 2, b.count(t, "companies"), "no company for the row without one, nor for the rejected row")

	puuhaus := company(t, "a@puuhaus.example")
	assert.Equal(t, "www.puuhaus.example", puuhaus.Website)
	assert.Equal(t, "Lahti", puuhaus.Location)
	assert.Equal(t, puuhaus, company(t, "b@puuhaus.example"))
	paja := company(t, "c@paja.example")
	assert.Equal(t, "https://paja.example/", paja.Website)
	assert.Equal(t, "Tampere", paja.Location)
	for _, email := range []string{"a@puuhaus.example", "b@puuhaus.example", "e@private.example"} {
		c, err := b.store.ContactByEmail(b.ctx, email)
		require.NoError(t, err)
		assert.NotContains(t, c.Attributes, "company_website", email)
		assert.NotContains(t, c.Attributes, "company_location", email)
	}
	a, err := b.store.ContactByEmail(b.ctx, "a@puuhaus.example")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"notes": "x"}, a.Attributes, "other unknown columns are still attributes")

	// A later import without the columns, or with empty cells, keeps them; a given value replaces.
	b.importCSV(t, "email,company,business_id\na@puuhaus.example,Puuhaus Oy,2345678-0\n", register.ImportOptions{})
	b.importCSV(t, "email,company_name,Company Website,company-location\nc@paja.example,Paja Oy,,Pirkkala\n", register.ImportOptions{})
	got := company(t, "a@puuhaus.example")
	assert.Equal(t, "www.puuhaus.example", got.Website)
	assert.Equal(t, "Lahti", got.Location)
	got = company(t, "c@paja.example")
	assert.Equal(t, "https://paja.example/", got.Website)
	assert.Equal(t, "Pirkkala", got.Location)
}

// An import's country (the contact's) only fills a company's empty country, also between rows of
// one chunk: the first row's wins, as upserting the rows in turn would have it.
func TestImportCompanyCountryFirstRowWins(t *testing.T) {
	b := setup(t)
	b.importCSV(t, "email,company,country\ng@gamma.example,Gamma Oy,fi\nh@gamma.example,GAMMA OY,SE\ni@gamma.example,Gamma Oy,\n", register.ImportOptions{})
	c, err := b.store.ContactByEmail(b.ctx, "h@gamma.example")
	require.NoError(t, err)
	co, err := b.store.Company(b.ctx, c.CompanyID)
	require.NoError(t, err)
	assert.Equal(t, "FI", co.Country)
	assert.Equal(t, "Gamma Oy", co.Name, "the last spelling given names a new company")
}

func TestImportRefusesBadHeaderBeforeWriting(t *testing.T) {
	b := setup(t)
	for name, data := range map[string]string{
		"no email column": "first_name,last_name\nAnna,Aalto\n",
		"empty file":      "",
		"column twice":    "email,title,job_title\na@example.fi,x,y\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := register.NewImporter(b.db.Pool, nil).Import(b.ctx, strings.NewReader(data), register.ImportOptions{})
			require.ErrorIs(t, err, register.ErrInvalid)
		})
	}
	assert.Equal(t, 0, b.count(t, "contacts"))
}

func TestImportCapsErrorsButCountsAll(t *testing.T) {
	b := setup(t)
	var sb strings.Builder
	sb.WriteString("email\n")
	for range register.MaxRowErrors + 5 {
		sb.WriteString("bad\n")
	}
	sb.WriteString("good@example.fi\n")
	res := b.importCSV(t, sb.String(), register.ImportOptions{})
	assert.Equal(t, register.MaxRowErrors+5, res.Rejected)
	assert.Len(t, res.Errors, register.MaxRowErrors)
	assert.Equal(t, 1, res.Imported)
	assert.Equal(t, register.MaxRowErrors+1, res.Errors[len(res.Errors)-1].Line)
}

func TestImportWindows1252(t *testing.T) {
	b := setup(t)
	res := b.importCSV(t, "email;last_name;title\nmatti@example.fi;Meik\xe4l\xe4inen;Ostop\xe4\xe4llikk\xf6\n", register.ImportOptions{})
	assert.Equal(t, register.EncodingWindows1252, res.Encoding)
	c, err := b.store.ContactByEmail(b.ctx, "matti@example.fi")
	require.NoError(t, err)
	assert.Equal(t, "Meikäläinen", c.LastName)
	assert.Equal(t, "Ostopäällikkö", c.JobTitle)
}

func TestImportStopsOnCancelKeepingCommittedChunks(t *testing.T) {
	b := setup(t)
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	data := "email\na@example.fi\nb@example.fi\nc@example.fi\nd@example.fi\n"
	res, err := register.NewImporter(b.db.Pool, nil).Import(ctx, strings.NewReader(data), register.ImportOptions{
		ChunkSize: 2, Progress: func(int) { cancel() },
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, res.Imported, "the first chunk was committed before the cancel")
	assert.Equal(t, 2, b.count(t, "contacts"))
}

// Concurrent imports of the same rows in opposite orders must not deadlock: every chunk locks
// its contacts in email order. (No companies here: their locks would serialise the chunks.)
func TestConcurrentImportsDoNotDeadlock(t *testing.T) {
	b := setup(t)
	const n, chunk = 2000, 100
	var fwd, rev strings.Builder
	fwd.WriteString("email,first_name\n")
	rev.WriteString("email,first_name\n")
	// The same rows in the same chunks, reversed within each chunk, so that both importers
	// want the same rows at the same time in opposite file order.
	for i := range n {
		fmt.Fprintf(&fwd, "p%d@example.fi,fwd\n", i)
		fmt.Fprintf(&rev, "p%d@example.fi,rev\n", i/chunk*chunk+chunk-1-i%chunk)
	}
	// After each chunk both importers wait for each other, so that they write the same chunk
	// at the same moment.
	ready := [2]chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)}
	done := make(chan struct{})
	errs := make(chan error, 2)
	for i, data := range []string{fwd.String(), rev.String()} {
		barrier := func(int) {
			select {
			case ready[i] <- struct{}{}:
			case <-done:
			}
			select {
			case <-ready[1-i]:
			case <-done:
			}
		}
		go func() {
			_, err := register.NewImporter(b.db.Pool, nil).Import(b.ctx, strings.NewReader(data),
				register.ImportOptions{ChunkSize: chunk, Progress: barrier})
			errs <- err
		}()
	}
	err1 := <-errs
	close(done)
	require.NoError(t, err1)
	require.NoError(t, <-errs)
	assert.Equal(t, n, b.count(t, "contacts"))
}
