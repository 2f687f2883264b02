package main

import (
	"errors"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/emailaddr"
	"github.com/kirje/kirje/register"
	"github.com/kirje/kirje/suppression"
)

// domainError turns a domain package's refusal of bad input into a usage error (exit status 2
// with the reason); other errors stay runtime failures (exit status 1).
func domainError(err error) error {
	for _, target := range []error{register.ErrInvalid, register.ErrNotFound, register.ErrConflict,
		campaign.ErrInvalid, campaign.ErrInvalidFilter, campaign.ErrNotFound, campaign.ErrInvalidTransition,
		suppression.ErrInvalid, suppression.ErrNotFound, emailaddr.ErrInvalid} {
		if errors.Is(err, target) {
			return usageError{err.Error()}
		}
	}
	return err
}

// accessError is domainError for the access package.
func accessError(err error) error {
	for _, target := range []error{access.ErrInvalid, access.ErrNotFound, access.ErrConflict} {
		if errors.Is(err, target) {
			return usageError{err.Error()}
		}
	}
	return err
}
