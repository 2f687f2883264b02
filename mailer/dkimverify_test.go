package mailer_test

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// verifyDKIM checks the first DKIM-Signature of a raw message against pub, independently of
// go-mail: relaxed/relaxed canonicalisation (RFC 6376 3.4.2, 3.4.4), header selection from the
// bottom up (5.4.2), rsa-sha256 or ed25519-sha256 (RFC 8463). It returns the signature's tags.
func verifyDKIM(raw []byte, pub crypto.PublicKey) (map[string]string, error) {
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return nil, errors.New("no header/body separator")
	}
	fields := splitFields(string(head) + "\r\n")
	var sigField string
	for _, f := range fields {
		if strings.EqualFold(fieldName(f), "DKIM-Signature") {
			sigField = f
			break
		}
	}
	if sigField == "" {
		return nil, errors.New("no DKIM-Signature")
	}
	tags := parseTags(sigField[strings.IndexByte(sigField, ':')+1:])
	if tags["v"] != "1" || tags["c"] != "relaxed/relaxed" {
		return tags, fmt.Errorf("unexpected v=%q c=%q", tags["v"], tags["c"])
	}
	bh := sha256.Sum256(relaxedBody(body))
	if got := base64.StdEncoding.EncodeToString(bh[:]); got != tags["bh"] {
		return tags, fmt.Errorf("body hash %s, signature says %s", got, tags["bh"])
	}

	var in strings.Builder
	used := map[int]bool{}
	for _, name := range strings.Split(tags["h"], ":") {
		name = strings.TrimSpace(name)
		for i := len(fields) - 1; i >= 0; i-- {
			if !used[i] && strings.EqualFold(fieldName(fields[i]), name) {
				used[i] = true
				in.WriteString(relaxedHeader(fields[i]) + "\r\n")
				break
			}
		}
	}
	in.WriteString(bValue.ReplaceAllString(relaxedHeader(sigField), "${1}${2}b="))
	sum := sha256.Sum256([]byte(in.String()))
	sig, err := base64.StdEncoding.DecodeString(tags["b"])
	if err != nil {
		return tags, err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if tags["a"] != "rsa-sha256" {
			return tags, fmt.Errorf("a=%s for an RSA key", tags["a"])
		}
		return tags, rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig)
	case ed25519.PublicKey:
		if tags["a"] != "ed25519-sha256" || !ed25519.Verify(k, sum[:], sig) {
			return tags, errors.New("ed25519 signature does not verify")
		}
		return tags, nil
	}
	return tags, fmt.Errorf("key type %T", pub)
}

var (
	bValue = regexp.MustCompile(`(^|;)(\s*)b=[^;]*`)
	wsp    = regexp.MustCompile(`[ \t]+`)
)

// splitFields splits a header block into fields, folded lines joined with their CRLF.
func splitFields(head string) []string {
	var out []string
	for _, line := range strings.SplitAfter(head, "\r\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += line
			continue
		}
		out = append(out, line)
	}
	for i := range out {
		out[i] = strings.TrimSuffix(out[i], "\r\n")
	}
	return out
}

func fieldName(f string) string { n, _, _ := strings.Cut(f, ":"); return strings.TrimSpace(n) }

func relaxedHeader(f string) string {
	name, value, _ := strings.Cut(f, ":")
	value = strings.ReplaceAll(value, "\r\n", "")
	value = strings.TrimSpace(wsp.ReplaceAllString(value, " "))
	return strings.ToLower(strings.TrimSpace(name)) + ":" + value
}

func relaxedBody(body []byte) []byte {
	lines := strings.Split(string(body), "\r\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(wsp.ReplaceAllString(l, " "), " ")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return []byte(strings.Join(lines, "\r\n") + "\r\n")
}

func parseTags(v string) map[string]string {
	tags := map[string]string{}
	for _, part := range strings.Split(strings.ReplaceAll(v, "\r\n", ""), ";") {
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "b" || k == "bh" {
			val = strings.Join(strings.Fields(val), "")
		}
		tags[k] = strings.TrimSpace(val)
	}
	return tags
}
