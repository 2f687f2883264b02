// Package register is Kirje's record of who may be marketed to, and as whom.
//
// It owns:
//   - companies (name, business ID — a Finnish Y-tunnus is validated with its check digit —,
//     website, country, location);
//   - contacts, unique by their normalised email address, with their company link, kind (b2b or
//     b2c), free attributes and tracking override;
//   - the history of marketing bans and consents, together with the current state kept on the
//     contact row (banned_at, consent_at), written in one statement so the two never disagree;
//   - brands, the group's sender identities, with their DKIM keys validated on the way in;
//   - streaming CSV import of contacts, committed in chunks with set-based SQL.
//
// It must not send mail, decide suppression (the suppression package is the one place that says
// whether a message may go; Contact.Mailable only states what the register itself allows), or
// know anything of HTTP: callers map ErrNotFound, ErrInvalid and ErrConflict at their edge.
//
// Store methods take the database they are given (pool or transaction) and run there; methods
// that need several statements to stay consistent open a transaction (or a savepoint) on it.
package register
