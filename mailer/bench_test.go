package mailer_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/wneessen/go-mail"

	"github.com/kirje/kirje/internal/smtptest"
	"github.com/kirje/kirje/mailer"
	"github.com/kirje/kirje/mailer/mailertest"
)

const benchConns = 10

// BenchmarkPoolSend pushes prebuilt messages through a Pool of 10 connections into a sink that
// discards bodies, from 10 senders; BenchmarkRawSend is go-mail alone on the same terms, the
// baseline the send benchmark compares against.
//
//	go test ./mailer -run '^$' -bench 'PoolSend|RawSend' -benchtime 20000x
func BenchmarkPoolSend(b *testing.B) {
	sink := smtptest.Start(b, smtptest.Options{Discard: true})
	relay, err := mailer.ParseRelay("bench", "smtp://"+sink.Addr+"?pool=10")
	if err != nil {
		b.Fatal(err)
	}
	pool := mailer.NewPool(relay, nil)
	defer pool.Close()
	b.SetParallelism((benchConns + 1) / 2) // × GOMAXPROCS senders; 10 on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		msg, err := mailer.Build(mailertest.Sample(0), nil)
		if err != nil {
			b.Error(err)
			return
		}
		for pb.Next() {
			if err := pool.Send(context.Background(), msg); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(sink.Connections()), "conns")
}

func BenchmarkRawSend(b *testing.B) {
	sink := smtptest.Start(b, smtptest.Options{Discard: true})
	r, err := mailertest.RawSend(context.Background(), sink.Addr, benchConns, b.N, func(int) (*mail.Msg, error) {
		return mailer.Build(mailertest.Sample(0), nil)
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.PerSecond(), "msgs/s")
}

// BenchmarkBuild is the per-message cost of building (and signing) a campaign message.
func BenchmarkBuild(b *testing.B) {
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	rsaSigner, err := mailer.NewDKIMSigner("acme.example.fi", "k1", rsaPEM())
	if err != nil {
		b.Fatal(err)
	}
	edSigner, err := mailer.NewDKIMSigner("acme.example.fi", "k2", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})))
	if err != nil {
		b.Fatal(err)
	}
	in := mailertest.Sample(1)
	for _, bc := range []struct {
		name   string
		signer *mailer.DKIMSigner
	}{{"unsigned", nil}, {"rsa2048", rsaSigner}, {"ed25519", edSigner}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mailer.Build(in, bc.signer); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
