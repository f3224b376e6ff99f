package certs

import "testing"

// BenchmarkIssue is one P-256 leaf issued in memory: key generation,
// signing and parsing, nothing written.
func BenchmarkIssue(b *testing.B) {
	ca := newCA(b)
	names := mustParse(b, "localhost", "127.0.0.1", "::1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ca.Issue(LeafRequest{Names: names}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkLoad is reading and checking a CA folder, which every cert
// command does once.
func BenchmarkLoad(b *testing.B) {
	ca := newCA(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(ca.Dir); err != nil {
			b.Fatal(err)
		}
	}
}
