package node

import "github.com/prometheus/client_golang/prometheus"

// Metrics are a node's Prometheus metrics, in a registry of their own so
// that several nodes can run in one process.
type Metrics struct {
	Registry         *prometheus.Registry
	enrollments      *prometheus.CounterVec
	searches         *prometheus.HistogramVec
	galleryTemplates prometheus.Gauge
}

func newMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		enrollments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bix_enrollments_total", Help: "Enrollments by outcome.",
		}, []string{"status"}),
		searches: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "bix_search_seconds", Help: "Gallery search latency by kind (identify, verify, dedup).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"kind"}),
		galleryTemplates: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bix_gallery_templates", Help: "Templates in the in-memory gallery.",
		}),
	}
	m.Registry.MustRegister(m.enrollments, m.searches, m.galleryTemplates,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}
