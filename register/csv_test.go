package register

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/internal/emailaddr"
)

// readAll parses a whole CSV with the row reader.
func readAll(t testing.TB, data string) (*rowReader, []parsedRow, error) {
	rr, err := newRowReader(strings.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	var rows []parsedRow
	for {
		p, err := rr.next()
		if errors.Is(err, io.EOF) {
			return rr, rows, nil
		}
		if err != nil {
			return rr, rows, err
		}
		rows = append(rows, p)
	}
}

func TestRowReaderHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data string
		want       ContactInput
	}{
		{
			name: "plain",
			data: "email,first_name,title,company,business_id,country\nA@Example.fi,Anna,CFO,Acme Oy,0112038-9,fi\n",
			want: ContactInput{Email: "a@example.fi", FirstName: "Anna", JobTitle: "CFO", Country: "FI", CompanyName: "Acme Oy", BusinessID: "0112038-9", CompanyCountry: "FI"},
		},
		{
			name: "case, spaces and aliases",
			data: " EMAIL ; First Name ;Job-Title;Last_Name\r\na@example.fi;Anna;CFO;Aalto\r\n",
			want: ContactInput{Email: "a@example.fi", FirstName: "Anna", JobTitle: "CFO", LastName: "Aalto"},
		},
		{
			name: "BOM and semicolons",
			data: "\uFEFFSähköposti;Email;Kind\n;a@example.fi;B2C\n",
			want: ContactInput{Email: "a@example.fi", Kind: B2C},
		},
		{
			name: "tabs",
			data: "email\tphone\tpostal_address\na@example.fi\t+358 1\t\"Katu 1\n00100 Helsinki\"\n",
			want: ContactInput{Email: "a@example.fi", Phone: "+358 1", PostalAddress: "Katu 1\n00100 Helsinki"},
		},
		{
			name: "Windows-1252 from Excel",
			data: "email;last_name\na@example.fi;Meik\xe4l\xe4inen\n",
			want: ContactInput{Email: "a@example.fi", LastName: "Meikäläinen"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, rows, err := readAll(t, tt.data)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.Empty(t, rows[0].reason)
			assert.Equal(t, 2, rows[0].line)
			got := rows[0].row.in
			got.Attributes = nil
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRowReaderCompanyColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data string
		want       ContactInput
		attrs      map[string]any
	}{
		{
			name: "company columns",
			data: "email,company,Company_Website,COMPANY LOCATION,fair\na@example.fi,Acme Oy, www.acme.example ,Espoo,x\n",
			want: ContactInput{Email: "a@example.fi", CompanyName: "Acme Oy", CompanyWebsite: "www.acme.example", CompanyLocation: "Espoo"},
			// Only unknown columns become attributes.
			attrs: map[string]any{"fair": "x"},
		},
		{
			name:  "website and location are the contact's attributes, as they always were",
			data:  "email,company,website,location\na@example.fi,Acme Oy,www.acme.example,Espoo\n",
			want:  ContactInput{Email: "a@example.fi", CompanyName: "Acme Oy"},
			attrs: map[string]any{"website": "www.acme.example", "location": "Espoo"},
		},
		{
			name: "long names",
			data: "email;business_id;Company Website;company-location\na@example.fi;0112038-9;https://acme.example/fi?a=1;Helsinki, Finland\n",
			want: ContactInput{Email: "a@example.fi", BusinessID: "0112038-9", CompanyWebsite: "https://acme.example/fi?a=1", CompanyLocation: "Helsinki, Finland"},
		},
		{
			name: "no company: ignored like company_country",
			data: "email,company_website,company_location\na@example.fi,www.acme.example,Espoo\n",
			want: ContactInput{Email: "a@example.fi"},
		},
		{
			name: "no company: not validated either",
			data: "email,company_website\na@example.fi,www acme example\n",
			want: ContactInput{Email: "a@example.fi"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, rows, err := readAll(t, tt.data)
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.Empty(t, rows[0].reason)
			assert.Equal(t, tt.attrs, rows[0].row.in.Attributes)
			got := rows[0].row.in
			got.Attributes = nil
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.want.CompanyWebsite, rows[0].row.company.Website)
			assert.Equal(t, tt.want.CompanyLocation, rows[0].row.company.Location)
		})
	}
}

func TestRowReaderRejectsBadCompanyColumns(t *testing.T) {
	t.Parallel()
	tests := []struct{ cells, reason string }{
		{"Acme Oy,www.acme .example,", "invalid company_website: contains whitespace"},
		{"Acme Oy,\"www.acme.example\t\",", ""}, // trimmed
		{"Acme Oy,www.acme.example\u00a0/x,", "invalid company_website: contains whitespace"},
		{"Acme Oy,,\"Espoo\nHelsinki\"", "invalid company_location: contains control character U+000A"},
		{"Acme Oy,,Espoo\x01", "invalid company_location: contains control character U+0001"},
	}
	for _, tt := range tests {
		t.Run(tt.cells, func(t *testing.T) {
			t.Parallel()
			_, rows, err := readAll(t, "email,company,company_website,company_location\na@example.fi,"+tt.cells+"\n")
			require.NoError(t, err)
			require.Len(t, rows, 1)
			assert.Equal(t, tt.reason, rows[0].reason)
		})
	}
}

func TestRowReaderAttributes(t *testing.T) {
	t.Parallel()
	_, rows, err := readAll(t, "email,Lead Source,Fair,\na@example.fi,web,,\nb@example.fi,,,\n")
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, map[string]any{"lead_source": "web"}, rows[0].row.in.Attributes, "unknown columns become attributes; empty cells and unnamed columns are left out")
	assert.Nil(t, rows[1].row.in.Attributes)
	assert.JSONEq(t, `{}`, string(rows[1].row.attrs))
}

func TestRowReaderRejects(t *testing.T) {
	t.Parallel()
	data := strings.Join([]string{
		"email,first_name,kind,country,business_id,consent", // 1
		"good@example.fi,Anna,b2b,FI,0112038-9,yes",         // 2
		"not-an-email,Bert,b2b,,,",                          // 3
		"c@example.fi,Cecilia,b2x,,,",                       // 4
		"d@example.fi,Dan,,FI,0112038-1,",                   // 5: bad check digit
		"e@example.fi,Eve",                                  // 6: too few fields
		"",                                                  // 7: blank, skipped
		",,,,,",                                             // 8: blank cells, skipped
		`f@example.fi,"Fr"ed,,,,`,                           // 9: bare quote
		"g@example.fi,Gus,,,,maybe",                         // 10
		"h@example.fi,\"Multi",                              // 11
		"line\",,,,",                                        // 12
		"i@example.fi,Ida,B2C,SE,556012-5790,0",             // 13
	}, "\n")
	rr, rows, err := readAll(t, data)
	require.NoError(t, err)
	type res struct {
		line   int
		email  string
		reason string
	}
	var got []res
	for _, r := range rows {
		got = append(got, res{r.line, r.email, r.reason})
	}
	require.Len(t, got, 9)
	assert.Equal(t, res{2, "good@example.fi", ""}, got[0])
	assert.Equal(t, 3, got[1].line)
	assert.Contains(t, got[1].reason, "invalid email")
	assert.Equal(t, res{4, "c@example.fi", `invalid kind: "b2x" is neither b2b nor b2c`}, got[2])
	assert.Equal(t, 5, got[3].line)
	assert.Contains(t, got[3].reason, "business_id")
	assert.Equal(t, res{6, "e@example.fi", "row has 2 fields but the header has 6"}, got[4])
	assert.Equal(t, 9, got[5].line)
	assert.Contains(t, got[5].reason, "malformed CSV")
	assert.Equal(t, res{10, "g@example.fi", `invalid consent: "maybe": want yes or no`}, got[6])
	assert.Equal(t, res{11, "h@example.fi", "invalid first_name: contains control character U+000A"}, got[7],
		"a record with a quoted line break is reported at its first line")
	assert.Equal(t, res{13, "i@example.fi", ""}, got[8])
	assert.True(t, rows[0].row.consent)
	assert.False(t, rows[8].row.consent)
	assert.Equal(t, EncodingUTF8, rr.encoding)
}

func TestRowReaderBadHeaders(t *testing.T) {
	t.Parallel()
	for name, data := range map[string]string{
		"empty":           "",
		"no email column": "first_name,last_name\nAnna,Aalto\n",
		"email twice":     "email,E-mail\na@example.fi,b@example.fi\n",
		"title twice":     "email,title,job_title\na@example.fi,x,y\n",
		"attribute twice": "email,Fair,fair\na@example.fi,x,y\n",
		"website twice":   "email,company_website,Company Website\na@example.fi,x,y\n",
		"location twice":  "email,company-location,company_location\na@example.fi,x,y\n",
		"malformed":       "email,\"first\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := newRowReader(strings.NewReader(data))
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestRowMergeActsLikeSequentialUpserts(t *testing.T) {
	t.Parallel()
	_, rows, err := readAll(t, "email,first_name,phone,kind,fair,banned\na@example.fi,Anna,+1,b2c,x,\nA@example.fi,,+2,,y,yes\n")
	require.NoError(t, err)
	require.Len(t, rows, 2)
	ch := newChunk(10)
	ch.add(rows[0])
	ch.add(rows[1])
	require.Len(t, ch.rows, 1)
	assert.Equal(t, 1, ch.merged)
	assert.Equal(t, []int{3}, ch.lines)
	m := ch.rows[0]
	assert.Equal(t, "Anna", m.in.FirstName)
	assert.Equal(t, "+2", m.in.Phone)
	assert.Equal(t, B2C, m.in.Kind)
	assert.True(t, m.ban)
	assert.JSONEq(t, `{"fair":"y"}`, string(m.attrs))
}

func TestChunkKeepsEveryRowsCompany(t *testing.T) {
	t.Parallel()
	_, rows, err := readAll(t, "email,company,company_website,company_location\na@example.fi,Acme Oy,www.acme.example,\nb@example.fi,,,\na@example.fi,ACME OY,,Espoo\n")
	require.NoError(t, err)
	ch := newChunk(10)
	for _, p := range rows {
		ch.add(p)
	}
	require.Len(t, ch.rows, 2)
	assert.Equal(t, companyRow{Name: "ACME OY", Location: "Espoo"}, ch.rows[0].company, "the contact links to its last row's company")
	assert.Equal(t, []companyRow{{Name: "Acme Oy", Website: "www.acme.example"}, {Name: "ACME OY", Location: "Espoo"}}, ch.companies,
		"both rows' company data reach the company upsert")
	ch.reset()
	assert.Empty(t, ch.companies)
}

func TestEveryCSVFieldHasAContactField(t *testing.T) {
	t.Parallel()
	for _, h := range []string{"first_name", "last_name", "title", "job_title", "academic_title", "segment",
		"country", "phone", "postal_address", "company", "company_name", "business_id", "company_website", "company_location",
		"customer_number", "lead_id"} {
		f, ok := csvField(h)
		require.True(t, ok, h)
		require.NotPanics(t, func() { (&ContactInput{}).textField(f) }, h)
	}
}

func FuzzRowReader(f *testing.F) {
	f.Add("email,first_name\na@example.fi,Anna\n")
	f.Add("\uFEFFemail;kind;consent\nA@x.fi;b2c;yes\n;;\nb@x.fi;b2b\n")
	f.Add("email,business_id,country,company,x\na@x.fi,112038-9,FI,Nokia,\"q\"\"\n")
	f.Add("email\tpostal_address\na@x.fi\t\"1\n2\"\n\"\n")
	f.Add("email,last_name\na@x.fi,Meik\xe4l\xe4inen\n")
	f.Add("email,banned,title,job_title\n")
	f.Fuzz(func(t *testing.T, data string) {
		_, rows, err := readAll(t, data)
		if err != nil {
			return
		}
		prev := 1
		for _, r := range rows {
			require.Greater(t, r.line, prev-1, "lines never go back")
			require.GreaterOrEqual(t, r.line, 2, "the header is line 1")
			prev = r.line
			if r.reason != "" {
				continue
			}
			norm, err := emailaddr.Normalize(r.row.in.Email)
			require.NoError(t, err)
			require.Equal(t, norm, r.row.in.Email)
			require.NotEmpty(t, r.row.attrs)
		}
	})
}
