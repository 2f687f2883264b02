package main

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// setRetention parses a retention age: "0" (keep for ever), a number of days ("90d"), or a Go
// duration of at least an hour ("2160h").
func setRetention(field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		v = strings.TrimSpace(v)
		if v == "0" {
			*field(c) = 0
			return nil
		}
		if days, ok := strings.CutSuffix(v, "d"); ok {
			n, err := strconv.Atoi(days)
			if err != nil || n < 1 {
				return errors.New(`must be 0, a number of days like "90d", or a duration like "2160h"`)
			}
			*field(c) = time.Duration(n) * 24 * time.Hour
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return errors.New(`must be 0, a number of days like "90d", or a duration of at least 1h`)
		}
		*field(c) = d
		return nil
	}
}
