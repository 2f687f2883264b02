package register

import "time"

// Kind says under which rules a contact may receive marketing.
type Kind string

// Contact kinds.
const (
	// B2B contacts are addressed in their work role: they may be mailed unless banned.
	B2B Kind = "b2b"
	// B2C contacts are private persons: they may be mailed only with recorded consent.
	B2C Kind = "b2c"
)

// Tracking levels, for brands and (as an override) contacts.
const (
	TrackingIndividual = "individual" // per-person opens and clicks
	TrackingAggregate  = "aggregate"  // links and pixel name the campaign only
	TrackingOff        = "off"        // no pixel, plain links
)

// Company is an organisation contacts work for.
type Company struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	BusinessID string    `json:"business_id,omitempty"` // Y-tunnus for FI, as given otherwise; "" when unknown
	Website    string    `json:"website,omitempty"`
	Country    string    `json:"country,omitempty"`
	Location   string    `json:"location,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Contact is one person in the register. Template merge fields are this struct's fields
// ({{ .Contact.FirstName }}), so renaming one breaks stored templates.
type Contact struct {
	ID             int64          `json:"id"`
	Email          string         `json:"email"` // normalised
	FirstName      string         `json:"first_name,omitempty"`
	LastName       string         `json:"last_name,omitempty"`
	JobTitle       string         `json:"job_title,omitempty"`
	AcademicTitle  string         `json:"academic_title,omitempty"`
	Segment        string         `json:"segment,omitempty"`
	Country        string         `json:"country,omitempty"`
	Phone          string         `json:"phone,omitempty"`
	PostalAddress  string         `json:"postal_address,omitempty"`
	CustomerNumber string         `json:"customer_number,omitempty"`
	LeadID         string         `json:"lead_id,omitempty"`
	CompanyID      int64          `json:"company_id,omitempty"` // 0 when none
	Kind           Kind           `json:"kind"`
	Attributes     map[string]any `json:"attributes"`
	Tracking       string         `json:"tracking,omitempty"` // "" follows the brand
	BannedAt       *time.Time     `json:"banned_at,omitempty"`
	ConsentAt      *time.Time     `json:"consent_at,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// Reasons Mailable gives for refusing.
const (
	NotMailableBanned    = "banned"
	NotMailableNoConsent = "no_consent"
)

// Mailable reports whether the register allows marketing to c, and if not, why: a B2B contact
// unless banned; a B2C contact only with consent and no ban. (The suppression list is checked
// separately, right before each send.)
func (c Contact) Mailable() (ok bool, reason string) {
	if c.BannedAt != nil {
		return false, NotMailableBanned
	}
	if c.Kind == B2C && c.ConsentAt == nil {
		return false, NotMailableNoConsent
	}
	return true, ""
}

// Permission actions: the history of a contact's marketing bans and consents.
const (
	ActionBan      = "ban"
	ActionUnban    = "unban"
	ActionConsent  = "consent"
	ActionWithdraw = "withdraw"
)

// Permission is one recorded ban or consent change.
type Permission struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Action    string    `json:"action"`
	Source    string    `json:"source"` // how it was recorded: "import", "api", "unsubscribe page", "requested by email"…
	Actor     string    `json:"actor"`  // staff user name, "recipient" or "system"
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Brand is one of the group's sender identities.
type Brand struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	FromName      string    `json:"from_name"`
	FromAddress   string    `json:"from_address"`
	ReplyTo       string    `json:"reply_to,omitempty"`
	PostalAddress string    `json:"postal_address"`
	DKIMDomain    string    `json:"dkim_domain,omitempty"`
	DKIMSelector  string    `json:"dkim_selector,omitempty"`
	DKIMKeyPEM    string    `json:"-"` // secret: never serialised
	Relay         string    `json:"relay"`
	Tracking      string    `json:"tracking"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// HasDKIM reports whether messages of this brand are signed.
func (b Brand) HasDKIM() bool {
	return b.DKIMKeyPEM != "" && b.DKIMDomain != "" && b.DKIMSelector != ""
}
