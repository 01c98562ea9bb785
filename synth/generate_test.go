package synth

import (
	"crypto/sha256"
	"io"
	"testing"
)

func TestGenerateDeterministicAndSized(t *testing.T) {
	for _, p := range []Profile{ProfileBulk, ProfileControl} {
		var sums [2][32]byte
		for i := range sums {
			h := sha256.New()
			g := GenOptions{Capture: Options{Seed: 42}, Size: 3 << 20, Profile: p}
			st, err := Generate(h, g)
			if err != nil {
				t.Fatalf("%v: %v", p, err)
			}
			if st.Bytes < g.Size || st.Bytes > g.Size+1<<20 {
				t.Errorf("%v: wrote %d bytes for a %d target", p, st.Bytes, g.Size)
			}
			copy(sums[i][:], h.Sum(nil))
		}
		if sums[0] != sums[1] {
			t.Errorf("%v: same seed gave different bytes", p)
		}
	}
}

func benchGenerate(b *testing.B, p Profile) {
	const size = 64 << 20
	b.SetBytes(size)
	for i := 0; i < b.N; i++ {
		if _, err := Generate(io.Discard, GenOptions{Capture: Options{Seed: int64(i)}, Size: size, Profile: p}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateBulk measures the bulk profile's throughput.
func BenchmarkGenerateBulk(b *testing.B) { benchGenerate(b, ProfileBulk) }

// BenchmarkGenerateControl measures the control profile's throughput.
func BenchmarkGenerateControl(b *testing.B) { benchGenerate(b, ProfileControl) }
