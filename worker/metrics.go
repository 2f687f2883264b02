package worker

import (
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Metrics are the worker's Prometheus collectors.
type Metrics struct {
	sends      *prometheus.CounterVec
	latency    prometheus.Histogram
	throttled  prometheus.Counter
	failClosed prometheus.Counter
	check      prometheus.Histogram
	batch      *prometheus.HistogramVec
}

// NewMetrics creates the collectors and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kirje_sends_total", Help: "Recipients processed, by outcome (sent, dropped, bounced, failed, deferred).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kirje_send_duration_seconds", Help: "Duration of one SMTP transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kirje_throttle_deferrals_total", Help: "Recipients deferred by the per-domain or per-relay rate.",
		}),
		failClosed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kirje_suppression_unavailable_total", Help: "Sends held back because the suppression list could not be checked.",
		}),
		check: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kirje_suppression_check_seconds", Help: "Duration of the send-time suppression check.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 14),
		}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kirje_batch_stage_seconds", Help: "Time a send batch spends per stage (claim, send, record).",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"stage"}),
	}
	if reg != nil {
		reg.MustRegister(m.sends, m.latency, m.throttled, m.failClosed, m.check, m.batch)
	}
	return m
}

// queueCollector reports asynq queue depths when scraped.
type queueCollector struct {
	inspector *asynq.Inspector
	queues    []string
	depth     *prometheus.Desc
}

// NewQueueCollector returns a collector of the namespace's queue depths by state (pending,
// active, scheduled, retry), read from Redis at scrape time.
func NewQueueCollector(rdb redis.UniversalClient, namespace string) prometheus.Collector {
	var qs []string
	for q := range Queues(namespace) {
		qs = append(qs, q)
	}
	return &queueCollector{
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		queues:    qs,
		depth: prometheus.NewDesc("kirje_queue_depth", "Tasks in a queue, by state.",
			[]string{"queue", "state"}, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.depth }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range c.queues {
		info, err := c.inspector.GetQueueInfo(q)
		if err != nil {
			continue // a queue that never held a task does not exist yet
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active,
			"scheduled": info.Scheduled, "retry": info.Retry} {
			ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(n), q, state)
		}
	}
}
