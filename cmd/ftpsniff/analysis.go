package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/session"
)

// analysisOptions are the flags that tune the analysis, shared by the main
// command and "ftpsniff audit": defined once, with session.DefaultConfig's
// defaults.
type analysisOptions struct {
	ports         []string
	expectTimeout time.Duration
	synGrace      time.Duration
	dropWait      time.Duration
}

// addAnalysisFlags defines the analysis flags on fs.
func addAnalysisFlags(fs *pflag.FlagSet, o *analysisOptions) {
	def := session.DefaultConfig()
	fs.StringSliceVar(&o.ports, "ports", nil, "extra TCP `ports` carrying FTP control channels, e.g. 2121,8021 (21 is always included)")
	fs.DurationVar(&o.expectTimeout, "expect-timeout", def.ExpectTimeout, "how long a negotiation waits for its data connection after the last control event about it (capture time; > 0)")
	fs.DurationVar(&o.synGrace, "syn-grace", def.SYNGrace, "a 425 this long after a single unanswered SYN counts as dropped (sooner: refused unseen, unknown) (> 0)")
	fs.DurationVar(&o.dropWait, "drop-wait", def.DropWait, "how long unanswered SYNs wait for a reply before the verdict (> 0)")
}

// apply validates the analysis flags and sets them in cfg: durations must
// be positive, ports 1-65535. The error is a usage error.
func (o *analysisOptions) apply(cfg *ftpsniff.Config) error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"expect-timeout", o.expectTimeout}, {"syn-grace", o.synGrace}, {"drop-wait", o.dropWait}} {
		if d.v <= 0 {
			return fmt.Errorf("--%s: %v is not a positive duration (e.g. 30s)", d.name, d.v)
		}
	}
	cfg.Session.ExpectTimeout = o.expectTimeout
	cfg.Session.SYNGrace = o.synGrace
	cfg.Session.DropWait = o.dropWait
	ports, err := parsePorts("ports", o.ports)
	if err != nil {
		return err
	}
	cfg.Session.ControlPorts = append(cfg.Session.ControlPorts, ports...)
	return nil
}

// parsePorts parses a list of TCP ports (1-65535) given to --name.
func parsePorts(name string, ps []string) ([]uint16, error) {
	var out []uint16
	for _, p := range ps {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("--%s: %q is not a TCP port", name, p)
		}
		out = append(out, uint16(n))
	}
	return out, nil
}
