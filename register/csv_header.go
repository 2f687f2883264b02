package register

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encodings the importer reads (ImportResult.Encoding).
const (
	EncodingUTF8        = "utf-8"
	EncodingWindows1252 = "windows-1252"
)

// sniffSize is how much of a file decides its encoding and must hold its header line.
const sniffSize = 64 << 10

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decode returns r as UTF-8 and the encoding it was read in. A UTF-8 BOM is dropped. A file
// whose first 64 KiB are not valid UTF-8 is taken for Windows-1252, which is what Excel's plain
// "CSV" format writes on a Finnish Windows; rows further on that are not valid UTF-8 are
// rejected one by one.
func decode(r io.Reader) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, "", fmt.Errorf("read: %w", err)
	}
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
		return br, EncodingUTF8, nil
	}
	if len(head) == sniffSize {
		// The last line may stop in the middle of a character.
		if nl := bytes.LastIndexByte(head, '\n'); nl >= 0 {
			head = head[:nl]
		}
	}
	if utf8.Valid(head) {
		return br, EncodingUTF8, nil
	}
	return charmap.Windows1252.NewDecoder().Reader(br), EncodingWindows1252, nil
}

// readHeaderLine returns the first line of r (with its newline) and a reader that yields the
// whole input again from its start, without reading more than the line ahead.
func readHeaderLine(r io.Reader) (string, io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffSize)
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", nil, fmt.Errorf("header line longer than %d bytes", sniffSize)
	case err != nil && !errors.Is(err, io.EOF):
		return "", nil, fmt.Errorf("read header: %w", err)
	}
	header := string(line)
	return header, io.MultiReader(strings.NewReader(header), br), nil
}

// detectDelimiter picks ';', tab or ',' by which occurs most in the header line outside quotes:
// Excel in a Finnish locale writes ';' (the comma being the decimal separator).
func detectDelimiter(header string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range header {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '\t'):
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}
