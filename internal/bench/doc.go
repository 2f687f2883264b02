// Package bench holds Kirje's performance scenarios (`make bench`): each measures Kirje and, in
// the same run, a baseline that needs none of Kirje (go-mail pushing prebuilt messages into the
// same sink; a bare net/http handler serving the same GIF), and reports the ratio, because
// absolute figures on a shared machine mean little. The scenarios are Go benchmarks run once
// (-benchtime 1x); BENCHMARKS.md records their output and the command.
package bench
