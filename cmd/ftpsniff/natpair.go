package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/audit"
	"github.com/ftpsniff/ftpsniff/decode"
)

// readNATSide analyses one capture of a NAT pair with the tracker (the same
// reassembly, detection and parsing as every other report) and gathers its
// side of the comparison from the records. Damage after which the rest was
// read is in the side's Damaged list; an input that cannot be read at all
// is an error.
func readNATSide(ctx context.Context, name string, cfg ftpsniff.Config) (*audit.NATSide, error) {
	src, err := decode.OpenFiles([]string{name})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	defer src.Close()
	cfg.Session.ControlEvents = audit.NATLinesPerSession
	col := audit.NewNATCollector(name)
	if _, err := ftpsniff.Run(ctx, src, cfg, col); err != nil && !errors.Is(err, ftpsniff.ErrDamagedInput) {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return col.Side(), nil
}
