// Package mailertest has what benchmarks need to measure sending against a baseline: the raw
// rate of go-mail pushing prebuilt messages into a sink without Kirje's pool (RawSend), and a
// campaign-like sample message (Sample). It is for tests and benchmarks only.
package mailertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/mailer"
)

// Result is a measured sending rate.
type Result struct {
	Messages int
	Conns    int
	Elapsed  time.Duration
}

// PerSecond is messages per second.
func (r Result) PerSecond() float64 { return float64(r.Messages) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("%d messages over %d connections in %v: %.0f msgs/s", r.Messages, r.Conns, r.Elapsed.Round(time.Millisecond), r.PerSecond())
}

// RawSend is the baseline "raw go-mail rate": conns plain go-mail clients, each dialled once
// to addr (host:port, no TLS), push n messages between them as fast as the server takes them;
// build(i) makes connection i's message, built before the clock starts and sent again and
// again. The clients use the transport options Pool uses (WithoutNoop, WithoutRset), so a
// comparison measures what Kirje adds per message, not a difference in protocol chatter.
func RawSend(ctx context.Context, addr string, conns, n int, build func(conn int) (*mail.Msg, error)) (Result, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return Result{}, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return Result{}, err
	}
	clients := make([]*mail.Client, conns)
	msgs := make([]*mail.Msg, conns)
	for i := range conns {
		if msgs[i], err = build(i); err != nil {
			return Result{}, err
		}
		clients[i], err = mail.NewClient(host, mail.WithPort(port), mail.WithTLSPolicy(mail.NoTLS),
			mail.WithoutNoop(), mail.WithoutRset(), mail.WithTimeout(30*time.Second))
		if err == nil {
			err = clients[i].DialWithContext(ctx)
		}
		if err != nil {
			return Result{}, err
		}
		defer func() { _ = clients[i].Close() }()
	}
	start := time.Now()
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		share := n / conns
		if i < n%conns {
			share++
		}
		wg.Go(func() {
			for range share {
				if errs[i] = clients[i].Send(msgs[i]); errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return Result{Messages: n, Conns: conns, Elapsed: time.Since(start)}, errors.Join(errs...)
}

// Sample is a campaign-like message to recipient i: HTML in a table layout, a short text part,
// six links and the unsubscribe headers; about 5 KB as go-mail writes it. (A campaign sent
// through Kirje's default layout, with its text part derived from the HTML, is larger: the send
// benchmark uses a message the worker really sent instead.)
func Sample(i int) mailer.BuildInput {
	var html, text strings.Builder
	html.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Kevään uutuudet</title></head><body>`)
	html.WriteString(`<table role="presentation" width="100%"><tr><td style="padding:32px;font-family:Arial,sans-serif">`)
	for p := range 6 {
		fmt.Fprintf(&html, `<h2>Uutuus %d</h2><p>Hei Liisa, kevään valikoimassa on uutta hankintapäälliköille: `+
			`tuotteet, joilla rakennusprojektin materiaalihankinnat hoituvat nopeammin ja edullisemmin. `+
			`Tutustu tarjoukseen ja pyydä tarjous suoraan myyjältäsi.</p>`+
			`<p><a href="https://t.example.fi/c/AbCdEfGhIjKlMnOpQrStUv/%d" style="color:#1f2937">Lue lisää</a></p>`, p+1, p+2)
		fmt.Fprintf(&text, "Uutuus %d\n\nHei Liisa, kevään valikoimassa on uutta hankintapäälliköille.\n"+
			"Lue lisää: https://t.example.fi/c/AbCdEfGhIjKlMnOpQrStUv/%d\n\n", p+1, p+2)
	}
	html.WriteString(`</td></tr></table><p style="font-size:12px">Acme Oy, Esimerkkikatu 1, 00100 Helsinki<br>`)
	html.WriteString(`<a href="https://t.example.fi/u/AbCdEfGhIjKlMnOpQrStUv">Peru tilaus / Unsubscribe</a></p>`)
	html.WriteString(`<img src="https://t.example.fi/o/AbCdEfGhIjKlMnOpQrStUv" width="1" height="1" alt=""></body></html>`)
	text.WriteString("--\nAcme Oy\nEsimerkkikatu 1, 00100 Helsinki\n\nPeru tilaus / Unsubscribe: https://t.example.fi/u/AbCdEfGhIjKlMnOpQrStUv\n")
	return mailer.BuildInput{
		From:            mailer.Address{Name: "Acme Oy", Email: "uutiset@acme.example.fi"},
		To:              fmt.Sprintf("contact%d@customer.example.com", i),
		Subject:         "Kevään uutuudet hankintaan",
		HTML:            html.String(),
		Text:            text.String(),
		MessageID:       mailer.NewMessageID("acme.example.fi"),
		ListUnsubscribe: []string{"https://t.example.fi/u/AbCdEfGhIjKlMnOpQrStUv", "mailto:unsubscribe+AbCdEfGhIjKlMnOpQrStUv@acme.example.fi"},
		OneClick:        true,
		FeedbackID:      "42:1:acme:kirje",
		Headers:         map[string]string{"X-Kirje-Campaign": "42"},
	}
}
