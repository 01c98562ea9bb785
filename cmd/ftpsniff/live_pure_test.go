//go:build !libpcap

package main

import (
	"strings"
	"testing"
)

// TestFilterNeedsLibpcap: the default build rejects -f and says how to get
// a binary that takes it.
func TestFilterNeedsLibpcap(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "-i", "lo", "-f", "host 192.0.2.1")
	if code != exitUsage || !strings.Contains(stderr, "go build -tags libpcap ./cmd/ftpsniff") ||
		!strings.Contains(stderr, "libpcap-dev") {
		t.Errorf("exit %d, stderr %q; want a usage error naming the libpcap build", code, stderr)
	}
}
