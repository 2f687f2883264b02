package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/register"
)

const contactsCSV = `email,first_name,title,kind,company,business_id
anna@kone.example,Anna,Purchasing Manager,b2b,Kone Oyj,0109862-8
not-an-address,Bad,Row,b2b,,
ben@kone.example,Ben,CTO,b2x,,
cecilia@kone.example,Cecilia,CFO,b2c,Kone Oyj,0109862-8
anna@kone.example,Anna,Head of Purchasing,,,
`

type importResult struct {
	Imported, Updated, Rejected int
	Errors                      []register.RowError
}

func TestImportContactsCSV(t *testing.T) {
	t.Parallel()
	e := setup(t)
	res := e.send(t, http.MethodPost, "/api/v1/contacts/import", e.tokens[access.RoleMarketer], "text/csv", strings.NewReader(contactsCSV))
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var got importResult
	res.json(t, &got)
	assert.Equal(t, importResult{Imported: 2, Updated: 1, Rejected: 2, Errors: []register.RowError{
		{Line: 3, Email: "not-an-address", Reason: got.Errors[0].Reason},
		{Line: 4, Email: "ben@kone.example", Reason: got.Errors[1].Reason},
	}}, got)
	assert.Contains(t, got.Errors[1].Reason, "kind")

	c, err := register.New(e.db.Pool).ContactByEmail(e.ctx, "anna@kone.example")
	require.NoError(t, err)
	assert.Equal(t, "Head of Purchasing", c.JobTitle)

	audit := e.audit(t, access.ActionContactImport)
	require.Len(t, audit, 1)
	assert.EqualValues(t, 2, audit[0].Detail["rejected"])
}

func TestImportContactsMultipart(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("note", "before the file"))
	fw, err := mw.CreateFormFile("file", "contacts.csv")
	require.NoError(t, err)
	_, err = fw.Write([]byte(contactsCSV))
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	res := e.send(t, http.MethodPost, "/api/v1/contacts/import", e.tokens[access.RoleAdmin], mw.FormDataContentType(), &buf)
	require.Equal(t, http.StatusOK, res.status, "%s", res.body)
	var got importResult
	res.json(t, &got)
	assert.Equal(t, 2, got.Imported)
	assert.Equal(t, 2, got.Rejected)

	var none bytes.Buffer
	mw = multipart.NewWriter(&none)
	require.NoError(t, mw.WriteField("other", "x"))
	require.NoError(t, mw.Close())
	res = e.send(t, http.MethodPost, "/api/v1/contacts/import", e.tokens[access.RoleAdmin], mw.FormDataContentType(), &none)
	assert.Equal(t, http.StatusBadRequest, res.status)
}

func TestImportContactsRefused(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) { o.maxUpload = 200 })
	tok := e.tokens[access.RoleMarketer]
	res := e.send(t, http.MethodPost, "/api/v1/contacts/import", tok, "application/json", strings.NewReader(contactsCSV))
	assert.Equal(t, http.StatusUnsupportedMediaType, res.status)
	res = e.send(t, http.MethodPost, "/api/v1/contacts/import", tok, "text/csv", strings.NewReader("name,phone\nx,1\n"))
	assert.Equal(t, http.StatusUnprocessableEntity, res.status, "a header without email: %s", res.body)

	big := "email\n" + strings.Repeat("someone@kone.example\n", 100)
	res = e.send(t, http.MethodPost, "/api/v1/contacts/import", tok, "text/csv", strings.NewReader(big))
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.status, "%s", res.body)

	cs, err := register.New(e.db.Pool).ListContacts(e.ctx, register.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, cs)
}
