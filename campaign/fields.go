package campaign

import (
	"slices"
	"strings"
)

// The audience query every segment is compiled against: contacts c with their company co (NULL
// columns when a contact has none). Field expressions below may use c and co only.
const audienceFrom = `contacts c LEFT JOIN companies co ON co.id = c.company_id`

// valueType decides which operators a field accepts, what its values must look like and how a
// leaf becomes SQL (see compile.go).
//
// To add a kind of field, add a valueType, its entry in the field table and its case in
// (*compiler).leaf; nothing else changes.
type valueType int

const (
	typeText      valueType = iota // a text column; never NULL in the expression (company columns are coalesced)
	typeTime                       // a timestamptz column; values are RFC 3339 strings or relative ("-90d")
	typeAttribute                  // one key of contacts.attributes (jsonb); text, or numeric when the value is a number
	// Engagement rollups (package engagement): expressions over contact_engagement ce, compiled
	// to (NOT) EXISTS over the contact's rollup row (compile_engagement.go).
	typeEngagementTime  // a nullable time: when it last happened; values as for typeTime
	typeEngagementCount // a count; a contact without a rollup row counts 0
	typeEngagementScore // the decayed score; 0 without a rollup row
)

// field is one name a filter can use.
type field struct {
	expr  string    // SQL over c and co; for attributes, the key is a parameter (see attributeField)
	typ   valueType //
	enum  []string  // when set, eq/neq/in values must be one of these
	lower bool      // values are lower-cased before comparing (the column is stored lower-case)
}

// fields is the read-only table of contact and company fields. Company columns are coalesced so
// that a contact without a company compares like one whose company field is empty, which keeps
// NOT and neq two-valued.
var fields = map[string]field{
	"email":               {expr: "c.email", typ: typeText, lower: true},
	"first_name":          {expr: "c.first_name", typ: typeText},
	"last_name":           {expr: "c.last_name", typ: typeText},
	"job_title":           {expr: "c.job_title", typ: typeText},
	"title":               {expr: "c.job_title", typ: typeText}, // the CSV header's name for it
	"academic_title":      {expr: "c.academic_title", typ: typeText},
	"segment":             {expr: "c.segment", typ: typeText},
	"country":             {expr: "c.country", typ: typeText},
	"phone":               {expr: "c.phone", typ: typeText},
	"postal_address":      {expr: "c.postal_address", typ: typeText},
	"customer_number":     {expr: "c.customer_number", typ: typeText},
	"lead_id":             {expr: "c.lead_id", typ: typeText},
	"kind":                {expr: "c.kind", typ: typeText, enum: []string{"b2b", "b2c"}},
	"created_at":          {expr: "c.created_at", typ: typeTime},
	"updated_at":          {expr: "c.updated_at", typ: typeTime},
	"company.name":        {expr: "coalesce(co.name, '')", typ: typeText},
	"company.business_id": {expr: "coalesce(co.business_id, '')", typ: typeText},
	"company.country":     {expr: "coalesce(co.country, '')", typ: typeText},
	"company.location":    {expr: "coalesce(co.location, '')", typ: typeText},
	"company.website":     {expr: "coalesce(co.website, '')", typ: typeText},

	"engagement.last_sent_at":        {expr: "ce.last_sent_at", typ: typeEngagementTime},
	"engagement.last_open_at":        {expr: "ce.last_open_at", typ: typeEngagementTime},
	"engagement.last_click_at":       {expr: "ce.last_click_at", typ: typeEngagementTime},
	"engagement.last_unsubscribe_at": {expr: "ce.last_unsubscribe_at", typ: typeEngagementTime},
	"engagement.sends_30d":           {expr: "ce.sends_30d", typ: typeEngagementCount},
	"engagement.sends_90d":           {expr: "ce.sends_90d", typ: typeEngagementCount},
	"engagement.opens_30d":           {expr: "ce.opens_30d", typ: typeEngagementCount},
	"engagement.opens_90d":           {expr: "ce.opens_90d", typ: typeEngagementCount},
	"engagement.clicks_30d":          {expr: "ce.clicks_30d", typ: typeEngagementCount},
	"engagement.clicks_90d":          {expr: "ce.clicks_90d", typ: typeEngagementCount},
	// engagement_score (migration 00006) decays the stored score to the statement's time.
	"engagement.score": {expr: "engagement_score(ce.score, ce.score_at, now())", typ: typeEngagementScore},
}

// attributePrefix introduces a free attribute: "attributes.industry".
const attributePrefix = "attributes."

// maxAttributeKey bounds an attribute key's length.
const maxAttributeKey = 200

// opsFor lists the operators each type accepts.
func opsFor(t valueType) []Op {
	switch t {
	case typeTime:
		return []Op{OpEq, OpNeq, OpGt, OpLt}
	case typeEngagementTime:
		return []Op{OpGt, OpLt, OpExists}
	case typeEngagementCount:
		return []Op{OpEq, OpNeq, OpGt, OpLt}
	case typeEngagementScore:
		return []Op{OpGt, OpLt}
	default:
		return []Op{OpEq, OpNeq, OpIn, OpContains, OpPrefix, OpExists, OpGt, OpLt}
	}
}

// lookupField resolves a field name; for attributes it also returns the key.
func lookupField(name string) (f field, key string, ok bool) {
	if k, isAttr := strings.CutPrefix(name, attributePrefix); isAttr {
		if k == "" || len(k) > maxAttributeKey {
			return field{}, "", false
		}
		return field{typ: typeAttribute}, k, true
	}
	f, ok = fields[name]
	return f, "", ok
}

// FieldNames lists the fields a filter may use, for help texts and API discovery; free attributes
// are written "attributes.KEY".
func FieldNames() []string {
	names := make([]string, 0, len(fields)+1)
	for n := range fields {
		names = append(names, n)
	}
	names = append(names, attributePrefix+"KEY")
	slices.Sort(names)
	return names
}
