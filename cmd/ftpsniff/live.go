package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ftpsniff/ftpsniff/decode"
)

// liveOptions are the live-capture and recording flags.
type liveOptions struct {
	iface      string
	listIfaces bool
	filter     string
	noPromisc  bool
	write      string
	ftpOnly    bool
}

// checkLive validates the live and recording flags against the -r inputs;
// it returns a usage error message, or "".
func (l *liveOptions) check(reads []string) string {
	switch {
	case l.iface != "" && len(reads) > 0:
		return "-i and -r are exclusive: capture live on an interface or read files, not both"
	case l.filter != "" && l.iface == "":
		return "-f applies to live capture: give -i IFACE (files are read whole)"
	case l.filter != "" && !decode.LibpcapBuild:
		return "-f: " + decode.ErrNeedsLibpcap.Error()
	case l.noPromisc && l.iface == "":
		return "--no-promisc applies to live capture (-i)"
	case l.ftpOnly && l.write == "":
		return "--ftp-only applies to the file written with -w"
	}
	if l.write != "" {
		if l.write == "-" {
			return "-w -: write the capture to a file, not standard output (it carries the report)"
		}
		for _, r := range reads {
			if r != "-" && samePath(r, l.write) {
				return fmt.Sprintf("-w %s: the output would overwrite the input", l.write)
			}
		}
	}
	return ""
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if fa, err := os.Stat(a); err == nil {
		if fb, err := os.Stat(b); err == nil {
			return os.SameFile(fa, fb)
		}
	}
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

// listInterfaces prints the interfaces -i accepts.
func listInterfaces(w io.Writer) error {
	ifs, err := decode.ListInterfaces()
	if err != nil {
		return err
	}
	for _, x := range ifs {
		var notes []string
		if x.Description != "" {
			notes = append(notes, x.Description)
		}
		if x.Loopback {
			notes = append(notes, "loopback")
		}
		if !x.Up {
			notes = append(notes, "down")
		}
		notes = append(notes, x.Addrs...)
		if x.Index > 0 {
			fmt.Fprintf(w, "%d.%s", x.Index, x.Name)
		} else {
			fmt.Fprintf(w, "-.%s", x.Name)
		}
		if len(notes) > 0 {
			fmt.Fprintf(w, " [%s]", strings.Join(notes, ", "))
		}
		fmt.Fprintln(w)
	}
	return nil
}

// recorder writes the packets Run hands to Config.Record into a pcapng
// file (-w), all of them or, with --ftp-only, the FTP ones.
type recorder struct {
	f       *os.File
	w       *decode.PcapngWriter
	ftpOnly bool
}

func newRecorder(path string, ftpOnly bool) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-w: %w", err)
	}
	return &recorder{f: f, w: decode.NewPcapngWriter(f, "ftpsniff "+version), ftpOnly: ftpOnly}, nil
}

// record is the ftpsniff.Config.Record callback.
func (r *recorder) record(p *decode.Packet, ftp bool) error {
	if r.ftpOnly && !ftp {
		return nil
	}
	return r.w.WritePacket(p)
}

// close finishes the file; st carries the live kernel drop count (nil for
// files).
func (r *recorder) close(st *decode.Stats) error {
	err := r.w.Close(st)
	if cerr := r.f.Close(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("-w %s: %w", r.f.Name(), err)
	}
	return nil
}

// openLive opens the -i capture and says so on stderr (the line
// "listening on IFACE" also tells scripts the capture is running).
func openLive(o *options, stderr io.Writer) (decode.Source, error) {
	if w := decode.FilterWarning(o.live.filter); w != "" {
		fmt.Fprintf(stderr, "ftpsniff: warning: %s\n", w)
	}
	src, err := decode.OpenLive(o.live.iface, decode.LiveOptions{
		NoPromisc: o.live.noPromisc,
		Filter:    o.live.filter,
	})
	if err != nil {
		return nil, err
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "ftpsniff: listening on %s, kernel filter %q (Ctrl-C to stop)\n",
			o.live.iface, decode.ComposeFilter(o.live.filter))
	}
	return src, nil
}
