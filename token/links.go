package token

import (
	"net/url"
	"strings"
	"time"
)

// Tracking levels, the same strings as the register's brand and contact setting.
const (
	LevelIndividual = "individual" // opens and clicks name the contact
	LevelAggregate  = "aggregate"  // opens and clicks name the campaign only
	LevelOff        = "off"        // no pixel, untracked links
)

// URL paths the tracking endpoint serves, each followed by a token.
const (
	OpenPath        = "/o/"
	ClickPath       = "/c/"
	UnsubscribePath = "/u/"
)

// Local-part prefixes of the address-form tokens: "u+TOKEN@domain" (mailto unsubscribe) and
// "b+TOKEN@domain" (VERP return path). Inbound mail handling splits on them.
const (
	MailtoPrefix     = "u+"
	ReturnPathPrefix = "b+"
)

// Links builds the per-recipient URLs of messages. Base is the public URL of the tracking
// endpoint (e.g. https://t.example.fi; a path prefix is kept and must be stripped before the
// tracking handler). Both fields are required.
type Links struct {
	Base *url.URL
	Keys *Keyring
}

// ForRecipient returns the URLs for one message of a campaign to a contact, sent at sentAt, at a
// tracking level (LevelIndividual, LevelAggregate or LevelOff; anything else is treated as
// LevelOff, the privacy-safe choice).
//
// At LevelAggregate, open and click tokens carry contact 0 and no send time (the send time to
// the second would point at the person through the send ledger); the unsubscribe, mailto and
// return-path tokens always keep the contact, because the person must still be able to opt out
// and bounces must still find the address.
func (l Links) ForRecipient(campaignID, contactID int64, sentAt time.Time, level string) Recipient {
	switch level {
	case LevelIndividual, LevelAggregate:
	default:
		level = LevelOff
	}
	return Recipient{
		base:       strings.TrimSuffix(l.Base.String(), "/"),
		keys:       l.Keys,
		campaignID: campaignID,
		contactID:  contactID,
		sentAt:     sentAt,
		level:      level,
	}
}

// Recipient gives one message's URLs. Its Open, Click and Unsubscribe methods are the method set
// of templates.URLs. The zero value is not usable; get one from Links.ForRecipient.
type Recipient struct {
	base                  string
	keys                  *Keyring
	campaignID, contactID int64
	sentAt                time.Time
	level                 string
}

// tracked returns the claims for an open or click at the recipient's level.
func (r Recipient) tracked(kind Kind, linkID int) Claims {
	c := Claims{Kind: kind, CampaignID: r.campaignID, ContactID: r.contactID, LinkID: linkID, SentAt: r.sentAt}
	if r.level == LevelAggregate {
		c.ContactID, c.SentAt = 0, time.Time{}
	}
	return c
}

// personal returns the claims for a token that always names the contact.
func (r Recipient) personal(kind Kind) Claims {
	return Claims{Kind: kind, CampaignID: r.campaignID, ContactID: r.contactID, SentAt: r.sentAt}
}

// Open returns the pixel URL, or "" at LevelOff.
func (r Recipient) Open() string {
	if r.level == LevelOff {
		return ""
	}
	return r.base + OpenPath + r.keys.Sign(r.tracked(Open, 0))
}

// Click returns the tracked URL of link linkID (0..2^31-1), or "" at LevelOff (the caller then
// keeps the original URL).
func (r Recipient) Click(linkID int) string {
	if r.level == LevelOff {
		return ""
	}
	return r.base + ClickPath + r.keys.Sign(r.tracked(Click, linkID))
}

// Unsubscribe returns the unsubscribe URL: a GET shows the page, a POST with
// List-Unsubscribe=One-Click unsubscribes. It is never empty.
func (r Recipient) Unsubscribe() string {
	return r.base + UnsubscribePath + r.keys.Sign(r.personal(Unsubscribe))
}

// OneClick returns the RFC 8058 URL for the List-Unsubscribe header: the same as Unsubscribe.
func (r Recipient) OneClick() string { return r.Unsubscribe() }

// Mailto returns "mailto:u+TOKEN@domain" for the List-Unsubscribe header, TOKEN in address form.
func (r Recipient) Mailto(domain string) string {
	return "mailto:" + MailtoPrefix + r.keys.SignAddress(r.personal(Mailto)) + "@" + domain
}

// ReturnPath returns the VERP envelope sender "b+TOKEN@domain", TOKEN in address form, so that a
// bounce names its campaign and contact.
func (r Recipient) ReturnPath(domain string) string {
	return ReturnPathPrefix + r.keys.SignAddress(r.personal(Bounce)) + "@" + domain
}
