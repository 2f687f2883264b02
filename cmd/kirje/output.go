package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"
)

// printJSON writes v as indented JSON: the --json output of data commands.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printList is the output of a list command: items as JSON with --json (asJSON), else a table of
// header and one row per item.
func printList[T any](w io.Writer, asJSON bool, items []T, header []string, row func(T) []string) error {
	if asJSON {
		return printJSON(w, items)
	}
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	table(w, header, rows)
	return nil
}

// table writes aligned columns.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, h := range header {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, h)
	}
	fmt.Fprintln(tw)
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, c)
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// readArgFile reads a file named on the command line ("-" = stdin).
func readArgFile(e *env, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(e.stdin)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return b, nil
}

// openInput opens a file named on the command line for streaming ("-" = stdin); it is closed
// when the command ends.
func (e *env) openInput(name string) (io.Reader, error) {
	if name == "-" {
		return e.stdin, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, usagef("%v", err)
	}
	e.onClose(func() { _ = f.Close() })
	return f, nil
}

// progress reports long work on a terminal: a line rewritten in place.
func (e *env) progress(format string, a ...any) {
	if e.terminal {
		fmt.Fprintf(e.stderr, "\r"+format+"\033[K", a...)
	}
}

func (e *env) progressDone() {
	if e.terminal {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
}
