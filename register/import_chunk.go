package register

import (
	"context"
	"fmt"

	"github.com/kirje/kirje/internal/pg"
)

// chunk gathers the rows of one import transaction. Rows are keyed by email: a later row for an
// email already in the chunk is merged into it (later non-empty values win, attributes merge),
// which is what upserting the two in turn would do, and is counted as an update. ON CONFLICT
// could not take both rows in one statement anyway. Companies are not merged by email: every
// row's company is kept in file order, so that what one row gives for a company (say its
// website) survives a later row for the same email naming the company without it.
type chunk struct {
	rows      []contactRow
	lines     []int // the line of each row's last occurrence
	byEmail   map[string]int
	merged    int
	companies []companyRow // every row's company, in file order
}

func newChunk(size int) *chunk {
	return &chunk{
		rows:    make([]contactRow, 0, size),
		lines:   make([]int, 0, size),
		byEmail: make(map[string]int, size),
	}
}

func (ch *chunk) add(p parsedRow) {
	if p.row.company != (companyRow{}) {
		ch.companies = append(ch.companies, p.row.company)
	}
	if i, ok := ch.byEmail[p.row.in.Email]; ok {
		ch.rows[i].merge(p.row)
		ch.lines[i] = p.line
		ch.merged++
		return
	}
	ch.byEmail[p.row.in.Email] = len(ch.rows)
	ch.rows = append(ch.rows, p.row)
	ch.lines = append(ch.lines, p.line)
}

func (ch *chunk) reset() {
	ch.rows, ch.lines, ch.merged, ch.companies = ch.rows[:0], ch.lines[:0], 0, ch.companies[:0]
	clear(ch.byEmail)
}

// recordImportPermissions records the bans and consents the chunk's banned / consent columns
// ask for, for contacts that do not have them yet, with history rows noting the line.
func recordImportPermissions(ctx context.Context, db pg.DBTX, ch *chunk, opts ImportOptions) error {
	var emails, notes []string
	var bans, consents []bool
	for i, r := range ch.rows {
		if r.ban || r.consent {
			emails = append(emails, r.in.Email)
			bans, consents = append(bans, r.ban), append(consents, r.consent)
			notes = append(notes, fmt.Sprintf("CSV line %d", ch.lines[i]))
		}
	}
	if len(emails) == 0 {
		return nil
	}
	if _, err := db.Exec(ctx, importPermissionsSQL, emails, bans, consents, notes, opts.Source, opts.Actor); err != nil {
		return fmt.Errorf("bans and consents: %w", err)
	}
	return nil
}

// importPermissionsSQL sets banned_at / consent_at where the file asks and they are unset, and
// appends one history row per change, in one statement as RecordPermission does. "before" reads
// the state the upsert in this transaction left, on rows that upsert already locked.
const importPermissionsSQL = `
WITH input AS (
    SELECT * FROM unnest($1::text[], $2::bool[], $3::bool[], $4::text[]) AS i(email, ban, consent, note)
), before AS (
    SELECT c.id, i.note, i.ban AND c.banned_at IS NULL AS ban, i.consent AND c.consent_at IS NULL AS consent
    FROM input i JOIN contacts c ON c.email = i.email
), changed AS (
    UPDATE contacts AS c SET
        banned_at  = CASE WHEN b.ban THEN now() ELSE c.banned_at END,
        consent_at = CASE WHEN b.consent THEN now() ELSE c.consent_at END,
        updated_at = now()
    FROM before b
    WHERE c.id = b.id AND (b.ban OR b.consent)
    RETURNING c.id, b.ban, b.consent, b.note
)
INSERT INTO marketing_permissions (contact_id, action, source, actor, note)
SELECT id, 'ban', $5, $6, note FROM changed WHERE ban
UNION ALL
SELECT id, 'consent', $5, $6, note FROM changed WHERE consent`
