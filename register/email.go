package register

import (
	"fmt"
	"strings"

	"github.com/kirje/kirje/internal/emailaddr"
)

// normalizeEmail is emailaddr.Normalize, refusing what Normalize would not accept back: IDNA
// mapping can turn a domain into one with an empty label ("a@\u00ad.fi" → "a@.fi"), and the
// register must not store a key that no later lookup can reproduce.
func normalizeEmail(s string) (string, error) {
	norm, err := emailaddr.Normalize(s)
	if err != nil {
		return "", err
	}
	if again, err := emailaddr.Normalize(norm); err != nil || again != norm {
		return "", fmt.Errorf("%w: %q does not normalise to a stable address", emailaddr.ErrInvalid, s)
	}
	return norm, nil
}

// invalidEmail is the FieldError for an address normalizeEmail refused.
func invalidEmail(field string, err error) error {
	return invalid(field, "%s", strings.TrimPrefix(err.Error(), emailaddr.ErrInvalid.Error()+": "))
}
