//go:build !libpcap

package decode

import (
	"errors"
	"testing"
)

func TestCompileFilterNeedsLibpcap(t *testing.T) {
	if _, err := CompileFilter("port 21"); !errors.Is(err, ErrNeedsLibpcap) {
		t.Fatalf("CompileFilter = %v, want ErrNeedsLibpcap", err)
	}
	if LibpcapBuild {
		t.Error("LibpcapBuild set in the default build")
	}
}
