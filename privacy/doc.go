// Package privacy carries out data subjects' rights and Kirje's own data minimisation:
//
//   - Export (GDPR Art. 15): one document with everything Kirje holds about an address — the
//     contact and company, bans and consents and tracking choices with their history, engagement
//     rollups, suppression entries (by hash, plain address, and the address's domain), every send
//     with its campaign, and every event with the IP address and user agent as stored.
//   - Object (Art. 21): a direct-marketing objection through the same path as an unsubscribe
//     (package optout), or a suppression entry when the address is not in the register.
//   - SetTracking: a contact's own objection to per-person tracking, or consent to it.
//   - Erase (Art. 17): the contact and its history go, its events are anonymised (kept, so
//     campaign counts stay right), plain copies of the address are removed from the suppression
//     list, the send ledger, webhook deliveries and quarantined inbound mail, and a hash-only
//     suppression entry keeps the person from ever being mailed again — a later import of the
//     same address is suppressed at send time.
//   - Retention: a periodic task that removes IP addresses and user agents from events older
//     than one age and deletes events older than another.
//
// Every subject request writes its audit entry (package access) in the same transaction as what
// it reads or changes, where the change is this package's; an Object whose change is optout's
// writes it right after, and fails if it cannot. Entries name subjects by their address hash,
// never the address.
//
// This package decides nothing about sending (the suppression list does) and knows no HTTP. It
// writes SQL for tables other packages own only where erasure must reach them (erase_others.go
// says which), and should hand that SQL to its owners as they grow their own erasure hooks.
package privacy
