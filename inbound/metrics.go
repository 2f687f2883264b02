package inbound

import "github.com/prometheus/client_golang/prometheus"

// Message results counted by Metrics (kirje_inbound_messages_total's label).
const (
	msgProcessed   = "processed"   // read and acted on (its outcomes are counted too)
	msgQuarantined = "quarantined" // kept for inspection: malformed, unmatched, or the pipeline panicked
	msgRetry       = "retry"       // not made durable; the sender was told to try again (451)
)

// Metrics counts what the inbound listener received and did, for /metrics: messages by result,
// outcomes per recipient by kind, verdict and effect, and refused recipients by reply. A nil
// *Metrics counts nothing.
type Metrics struct {
	messages *prometheus.CounterVec
	outcomes *prometheus.CounterVec
	refused  *prometheus.CounterVec
}

// NewMetrics registers the inbound counters with reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kirje_inbound_messages_total",
			Help: "Inbound messages by result (processed, quarantined, retry: the sender was asked to try again).",
		}, []string{"result"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kirje_inbound_outcomes_total",
			Help: "Recipients that inbound messages reported on, by message kind, verdict and effect (\"\" when unmatched).",
		}, []string{"kind", "verdict", "effect"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kirje_inbound_refused_recipients_total",
			Help: "Envelope recipients the listener refused, by SMTP reply code (550: not ours or relaying).",
		}, []string{"code"}),
	}
	if reg != nil {
		reg.MustRegister(m.messages, m.outcomes, m.refused)
	}
	return m
}

func (m *Metrics) message(result string) {
	if m != nil {
		m.messages.WithLabelValues(result).Inc()
	}
}

func (m *Metrics) result(res Result) {
	if m == nil {
		return
	}
	if res.Quarantined != "" {
		m.messages.WithLabelValues(msgQuarantined).Inc()
	} else {
		m.messages.WithLabelValues(msgProcessed).Inc()
	}
	for _, o := range res.Outcomes {
		m.outcomes.WithLabelValues(string(res.Kind), string(o.Verdict), o.Effect).Inc()
	}
}

func (m *Metrics) refusal(code string) {
	if m != nil {
		m.refused.WithLabelValues(code).Inc()
	}
}
