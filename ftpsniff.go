// Package ftpsniff analyses FTP sessions in packet captures: for every FTP
// control channel it reports what was negotiated (PORT, PASV, EPRT, EPSV,
// LPRT, LPSV), which data connection followed each negotiation, and which
// data connections failed and why.
//
// The pipeline runs one way on one goroutine: a decode.Source delivers
// decoded packets, a session.Tracker follows control channels and data
// connections on capture time, and an output.Writer renders the decided
// records.
package ftpsniff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
	"github.com/ftpsniff/ftpsniff/session"
)

// Config configures a run.
type Config struct {
	// Session tunes the tracker; see session.DefaultConfig.
	Session session.Config
	// Progress, when set, is called about every ProgressEvery packets and
	// once at the end, with the source's counters and the sessions so far.
	Progress      func(st decode.Stats, sessions int, done bool)
	ProgressEvery uint64
	// WallClock, when set, is called when a live source reports an idle
	// poll interval (decode.ErrTimeout): the tracker's clock then advances to
	// its result, so verdict timers run while the link is idle.
	WallClock func() time.Time
	// Record, when set, is called for every packet after the tracker saw it;
	// ftp says whether the packet belongs to an FTP control connection or is
	// among the first packets of one of its data connections (evidence).
	Record func(p *decode.Packet, ftp bool) error
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{Session: session.DefaultConfig(), ProgressEvery: 1 << 16}
}

// ErrDamagedInput is wrapped by Run's error when an input was damaged or
// truncated; what was read before the damage has still been analysed and
// reported.
var ErrDamagedInput = errors.New("damaged input")

// sink adapts an output.Writer to the tracker, keeping the first error.
type sink struct {
	w   output.Writer
	err error
}

func (s *sink) Transfer(t *session.Transfer) {
	if err := s.w.Transfer(t); err != nil && s.err == nil {
		s.err = err
	}
}

func (s *sink) Session(x *session.Session) {
	if err := s.w.Session(x); err != nil && s.err == nil {
		s.err = err
	}
}

// Run reads src to its end (or until ctx is cancelled), analyses it and
// writes every decided record to w, then closes w with the summary. Input
// damage does not stop the run: it is reported in the summary and in the
// returned error, which then wraps ErrDamagedInput.
func Run(ctx context.Context, src decode.Source, cfg Config, w output.Writer) (session.Summary, error) {
	sk := &sink{w: w}
	tr := session.NewTracker(cfg.Session, sk)
	var p decode.Packet
	var damaged []error
	every := cfg.ProgressEvery
	if every == 0 {
		every = 1 << 16
	}
	var n uint64
	var runErr error
	var drops uint64 // kernel drops seen so far
loop:
	for {
		// Live sources (WallClock set) check on every packet: a slow trickle
		// would otherwise delay a Ctrl-C until the 1024th packet.
		if n&1023 == 0 || cfg.WallClock != nil {
			select {
			case <-ctx.Done():
				break loop
			default:
			}
		}
		err := src.Next(&p)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, decode.ErrTimeout) {
				if ctx.Err() != nil {
					break
				}
				drops = noteDrops(src, tr, drops)
				if cfg.WallClock != nil {
					tr.Advance(cfg.WallClock())
				}
				continue
			}
			var ie *decode.InputError
			if errors.As(err, &ie) {
				damaged = append(damaged, err)
				continue
			}
			if ctx.Err() != nil {
				break
			}
			runErr = fmt.Errorf("reading packets: %w", err)
			break
		}
		n++
		ftp := tr.Packet(&p)
		if cfg.Record != nil {
			if err := cfg.Record(&p, ftp); err != nil {
				runErr = fmt.Errorf("recording packets: %w", err)
				break
			}
		}
		if sk.err != nil {
			runErr = fmt.Errorf("writing output: %w", sk.err)
			break
		}
		if n&4095 == 0 {
			drops = noteDrops(src, tr, drops)
		}
		if cfg.Progress != nil && n%every == 0 {
			cfg.Progress(src.Stats(), tr.Sessions(), false)
		}
	}
	sum := tr.Close()
	st := src.Stats()
	sum.KernelDrops = st.KernelDrops
	for _, e := range damaged {
		sum.InputErrors = append(sum.InputErrors, e.Error())
	}
	if cfg.Progress != nil {
		cfg.Progress(st, tr.Sessions(), true)
	}
	if err := w.Close(&sum); err != nil && runErr == nil {
		runErr = fmt.Errorf("writing output: %w", err)
	}
	if sk.err != nil && runErr == nil {
		runErr = fmt.Errorf("writing output: %w", sk.err)
	}
	if runErr != nil {
		return sum, runErr
	}
	if len(damaged) > 0 {
		return sum, fmt.Errorf("%w: %w", ErrDamagedInput, errors.Join(damaged...))
	}
	return sum, nil
}

// noteDrops flags the tracker's open transfers when the source's kernel
// drop counter grew since last; it returns the new count.
func noteDrops(src decode.Source, tr *session.Tracker, seen uint64) uint64 {
	if d := src.Stats().KernelDrops; d > seen {
		tr.CaptureLoss()
		return d
	}
	return seen
}
