package ftpsniff_test

// Benchmarks of the whole pipeline (decode, tracker, JSON output) on a
// capture file named by $FTPSNIFF_BENCH_FILE (see scripts/bench.sh), or on a
// capture generated in memory by package synth.

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
	"github.com/ftpsniff/ftpsniff/synth"
)

// runOnce runs the pipeline over one source and returns the packet count.
func runOnce(b *testing.B, src decode.Source) uint64 {
	b.Helper()
	sum, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), output.NewJSON(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	return sum.Packets
}

// BenchmarkRunFile runs the pipeline over $FTPSNIFF_BENCH_FILE on one
// goroutine; sub-benchmark "pipelined" reads ahead and renders behind on
// goroutines of their own, as the CLI does with files (decode.Prefetch,
// output.Async).
func BenchmarkRunFile(b *testing.B) {
	b.Run("one-goroutine", func(b *testing.B) { benchRunFile(b, false) })
	b.Run("pipelined", func(b *testing.B) { benchRunFile(b, true) })
}

func benchRunFile(b *testing.B, pipelined bool) {
	name := os.Getenv("FTPSNIFF_BENCH_FILE")
	if name == "" {
		b.Skip("FTPSNIFF_BENCH_FILE not set")
	}
	fi, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var pkts uint64
	m0 := mallocs()
	for b.Loop() {
		src, err := decode.OpenFiles([]string{name})
		if err != nil {
			b.Fatal(err)
		}
		w := output.NewJSON(io.Discard)
		if pipelined {
			src, w = decode.Prefetch(src), output.Async(w)
		}
		sum, err := ftpsniff.Run(context.Background(), src, ftpsniff.DefaultConfig(), w)
		if err != nil {
			b.Fatal(err)
		}
		pkts += sum.Packets
		src.Close()
	}
	reportPerPacket(b, pkts, mallocs()-m0)
}

// mallocs returns the process's allocation count so far.
func mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

func reportPerPacket(b *testing.B, pkts, allocs uint64) {
	if pkts == 0 {
		return
	}
	b.ReportMetric(float64(allocs)/float64(pkts), "allocs/pkt")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pkts), "ns/pkt")
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
}

func genCapture(b *testing.B, p synth.Profile, size int64) []byte {
	b.Helper()
	var buf bytes.Buffer
	if _, err := synth.Generate(&buf, synth.GenOptions{Capture: synth.Options{Seed: 1}, Size: size, Profile: p}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func benchRunMem(b *testing.B, p synth.Profile) {
	data := genCapture(b, p, 32<<20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var pkts uint64
	m0 := mallocs()
	for b.Loop() {
		src, err := decode.NewReaderSource("bench", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		pkts += runOnce(b, src)
	}
	reportPerPacket(b, pkts, mallocs()-m0)
}

// BenchmarkRunBulk and BenchmarkRunControl run the pipeline over a 32 MiB
// in-memory capture of each synth profile.
func BenchmarkRunBulk(b *testing.B)    { benchRunMem(b, synth.ProfileBulk) }
func BenchmarkRunControl(b *testing.B) { benchRunMem(b, synth.ProfileControl) }
