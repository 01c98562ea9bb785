// Command ftpsniff analyses FTP sessions in packet captures and reports
// which data connections failed and why.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/decode"
	"github.com/ftpsniff/ftpsniff/output"
)

// Exit statuses, documented in --help and the README.
const (
	exitOK      = 0 // analysed cleanly
	exitInput   = 1 // input could not be read at all, or output failed
	exitUsage   = 2 // bad flags or arguments
	exitDamaged = 3 // input damaged or truncated; what was readable was analysed
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// options are the parsed flags.
type options struct {
	reads         []string
	format        string
	maxRows       int
	failuresOnly  bool
	showPasswords bool
	analysis      analysisOptions
	quiet         bool
	version       bool
	live          liveOptions
}

const usageHead = `Usage: ftpsniff -r FILE [-r FILE ...] [FILE ...] [options]
       ftpsniff -i IFACE [-f EXPR] [-w FILE [--ftp-only]] [options]   (live, until Ctrl-C)
       ftpsniff audit -r FILE [-r FILE ...] [audit options]   (firewall audit, see ftpsniff audit --help)

Analyse FTP sessions in packet captures (pcap or pcapng, optionally
gzip-compressed; "-r -" reads standard input). For every negotiation
(PORT, PASV, EPRT, EPSV, LPRT, LPSV) it reports the data connection that
followed and a verdict: ok, dropped, reset, unreachable, not-attempted,
refused or unknown, with the evidence. Several files are read as one
time-ordered stream: repeat -r, or name more files after it (a shell glob:
-r day/*.pcap), or quote a glob for ftpsniff to expand (-r 'day/*.pcap').
FTP control channels are found on port 21, on the --ports given, and on any
other port by content.

Options:
`

const usageTail = `
Exit status:
  0  analysed cleanly
  1  no input could be read (missing file, not a capture, unsupported link
     type) or output could not be written
  2  bad usage
  3  an input was damaged or truncated, or one of several files could not be
     read: everything else was analysed and reported, and each such file is
     named on stderr
  4  ftpsniff audit only: findings matched --fail-on (see ftpsniff audit --help)

Passwords are masked unless --show-passwords is given.
`

// newFlags defines the main command's flags; --help is printed to stdout.
func newFlags(o *options, stdout, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("ftpsniff", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(stderr)
	fs.StringArrayVarP(&o.reads, "read", "r", nil, "read packets from `FILE` (pcap, pcapng, gzip; \"-\" = stdin); repeatable")
	fs.StringVarP(&o.live.iface, "interface", "i", "", "capture live on `IFACE` (\"any\" = all) until Ctrl-C/SIGTERM; needs root or CAP_NET_RAW")
	fs.BoolVarP(&o.live.listIfaces, "list-interfaces", "D", false, "list the interfaces -i accepts and exit")
	fs.StringVarP(&o.live.filter, "filter", "f", "", "libpcap filter `EXPR` for -i (binaries built with -tags libpcap only)")
	fs.BoolVarP(&o.live.noPromisc, "no-promisc", "p", false, "do not put the interface into promiscuous mode")
	fs.StringVarP(&o.live.write, "write", "w", "", "also write the packets read (-r or -i) to `FILE` as pcapng")
	fs.BoolVar(&o.live.ftpOnly, "ftp-only", false, "with -w: write only FTP control packets and data-connection evidence")
	fs.StringVarP(&o.format, "format", "F", "table", "output `format`: table, json (JSON Lines), text or html (one self-contained page)")
	fs.IntVar(&o.maxRows, "max-rows", output.DefaultMaxRows, "table and html: show at most `N` transfers and N sessions (html: ladder diagrams, 100 unless given), failures first; all are counted (0 = no limit)")
	fs.BoolVar(&o.failuresOnly, "failures-only", false, "list only failed transfers and the sessions that have them (the summary counts everything); with -w FILE, write only their packets")
	addAnalysisFlags(fs, &o.analysis)
	fs.BoolVar(&o.showPasswords, "show-passwords", false, "show PASS arguments instead of masking them")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "no progress line on stderr")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprint(stdout, usageHead)
		fmt.Fprint(stdout, flagUsages(fs))
		fmt.Fprint(stdout, usageTail)
	}
	return fs
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "audit" {
		return runAudit(ctx, args[1:], stdin, stdout, stderr)
	}
	var o options
	fs := newFlags(&o, stdout, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "ftpsniff: %v%s\n", err, auditHint(err))
		return exitUsage
	}
	if o.version {
		fmt.Fprintf(stdout, "ftpsniff %s\n", version)
		return exitOK
	}
	if o.live.listIfaces {
		if err := listInterfaces(stdout); err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitInput
		}
		return exitOK
	}
	if o.maxRows < 0 {
		fmt.Fprintf(stderr, "ftpsniff: --max-rows: %d is negative (0 shows every row)\n", o.maxRows)
		return exitUsage
	}
	reads, err := inputNames(o.reads, fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		return exitUsage
	}
	o.reads = reads
	if msg := o.live.check(o.reads); msg != "" {
		fmt.Fprintf(stderr, "ftpsniff: %s\n", msg)
		return exitUsage
	}
	if len(o.reads) == 0 && o.live.iface == "" {
		fmt.Fprintln(stderr, "ftpsniff: nothing to read: give a capture file with -r FILE or an interface with -i IFACE (see --help)")
		return exitUsage
	}
	stdins := 0
	for _, n := range o.reads {
		if n == "-" {
			stdins++
		}
	}
	if stdins > 1 {
		fmt.Fprintln(stderr, "ftpsniff: -r -: standard input can be read only once")
		return exitUsage
	}
	cfg := ftpsniff.DefaultConfig()
	cfg.Session.ShowPasswords = o.showPasswords
	if err := o.analysis.apply(&cfg); err != nil {
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		return exitUsage
	}
	if o.format == "html" {
		cfg.Session.ControlEvents = output.LadderControlLines // drawn in the ladders
	}
	if o.format == "nft" {
		fmt.Fprintln(stderr, "ftpsniff: --format nft is ftpsniff audit's: use ftpsniff audit -r FILE -F nft")
		return exitUsage
	}
	if msg := evidenceUsage(&o, stdins > 0); msg != "" {
		fmt.Fprintf(stderr, "ftpsniff: %s\n", msg)
		return exitUsage
	}
	// Reading files, the records are written through one large buffer
	// (one write(2) per 256 KiB instead of one per record), flushed once Run
	// has written the summary. Live, and reading a pipe on stdin (tcpdump
	// -w - | ftpsniff -r -), every record is written as soon as it is
	// decided: no buffering.
	streaming := streams(&o, stdin)
	out, flush := bufferOutput(stdout, streaming)
	w, err := newWriter(&o, fs, out, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		return exitUsage
	}
	if !streaming && o.format != "table" {
		// Reading files: JSON, text and HTML records are rendered (HTML:
		// aggregated) on a goroutine of their own (packets are read ahead
		// on another, see openInputs), so the tracker only decides. The
		// table writer does next to nothing per record (it renders at the
		// end), and live each record is written as it is decided.
		w = output.Async(w)
	}
	var src decode.Source
	if o.live.iface != "" {
		src, err = openLive(&o, stderr)
		cfg.WallClock = time.Now
	} else {
		src, err = openInputs(o.reads, stdin)
	}
	if err != nil {
		// Every named file unusable: one line per file.
		for _, e := range splitErrors(err) {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", e)
		}
		return exitInput
	}
	defer src.Close()
	var rec *recorder
	var ev *evidence
	if o.live.write != "" && o.failuresOnly {
		ev = newEvidence()
		w = ev.tee(w)
	} else if o.live.write != "" {
		if rec, err = newRecorder(o.live.write, o.live.ftpOnly); err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitInput
		}
		cfg.Record = rec.record
	}
	if !o.quiet && isTerminal(stderr) {
		cfg.Progress = newProgress(stderr).report
	}
	sum, err := ftpsniff.Run(ctx, src, cfg, w)
	// Flush before anything else is said on stderr, so that a terminal
	// shows the report first. Run has written the summary whatever happened
	// (damaged input, Ctrl-C, a failed write), so this is the one exit path
	// that has output to flush; a failure to write it wins over damaged
	// input (exit 1, not 3).
	if ferr := flush(); ferr != nil && (err == nil || errors.Is(err, ftpsniff.ErrDamagedInput)) {
		err = ferr
	}
	for _, e := range sum.InputErrors {
		fmt.Fprintf(stderr, "ftpsniff: %s\n", e)
	}
	if sum.KernelDrops > 0 {
		fmt.Fprintf(stderr, "ftpsniff: %d packets dropped by the kernel: verdicts may be incomplete\n", sum.KernelDrops)
	}
	if rec != nil {
		var st *decode.Stats
		if o.live.iface != "" {
			s := src.Stats()
			st = &s
		}
		if rerr := rec.close(st); rerr != nil && err == nil {
			err = rerr
		}
	}
	if ev != nil && (err == nil || errors.Is(err, ftpsniff.ErrDamagedInput)) {
		if werr := ev.write(o.live.write, o.reads); werr != nil {
			err = werr
		}
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, ftpsniff.ErrDamagedInput):
		return exitDamaged
	default:
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		return exitInput
	}
}

// newWriter returns the Writer of --format; out is the (buffered) report
// stream, stdout the terminal it may end on (for the table's width and
// colours).
func newWriter(o *options, fs *pflag.FlagSet, out, stdout io.Writer) (output.Writer, error) {
	switch o.format {
	case "table":
		topts := output.TableOptions{MaxRows: tableMaxRows(o.maxRows), FailuresOnly: o.failuresOnly, Width: -1}
		if tty, width := terminalWidth(stdout); tty {
			topts.Width = width
			topts.Color = colorAllowed()
		}
		return output.NewTable(out, topts), nil
	case "json":
		return failuresOnly(output.NewJSON(out), o.failuresOnly), nil
	case "text":
		return failuresOnly(output.NewText(out), o.failuresOnly), nil
	case "html":
		hopts := output.HTMLOptions{MaxRows: tableMaxRows(o.maxRows), FailuresOnly: o.failuresOnly, Inputs: o.reads}
		if o.live.iface != "" {
			hopts.Inputs = []string{"live capture on " + o.live.iface}
		}
		if fs.Changed("max-rows") {
			hopts.MaxDiagrams = tableMaxRows(o.maxRows)
		}
		return output.NewHTML(out, hopts), nil
	}
	return nil, fmt.Errorf("--format: unknown format %q (table, json, text or html)", o.format)
}

// failuresOnly wraps w to keep only failures when on is set.
func failuresOnly(w output.Writer, on bool) output.Writer {
	if !on {
		return w
	}
	return output.FailuresOnly(w)
}

// tableMaxRows maps --max-rows (0 = every row) to TableOptions.MaxRows
// (negative = every row).
func tableMaxRows(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// outputBufferSize is the size of the stdout buffer used for file input.
const outputBufferSize = 256 << 10

// streams reports whether the report must reach stdout record by record, as
// verdicts are decided: when capturing live (-i), and when reading standard
// input that is not a regular file (a pipe from a running tcpdump, say).
func streams(o *options, stdin io.Reader) bool {
	if o.live.iface != "" {
		return true
	}
	for _, n := range o.reads {
		if n != "-" {
			continue
		}
		f, ok := stdin.(*os.File)
		if !ok {
			return false // an in-memory reader (tests): it ends by itself
		}
		st, err := f.Stat()
		return err != nil || !st.Mode().IsRegular()
	}
	return false
}

// bufferOutput returns the writer the report goes to and the function that
// flushes it: stdout itself and a no-op when streaming, otherwise a buffer
// of outputBufferSize bytes in front of stdout.
func bufferOutput(stdout io.Writer, streaming bool) (io.Writer, func() error) {
	if streaming {
		return stdout, func() error { return nil }
	}
	bw := bufio.NewWriterSize(stdout, outputBufferSize)
	return bw, func() error {
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		return nil
	}
}

// inputNames returns the capture files to read: the -r values, each
// expanded when it is a glob pattern that names no file itself, then the
// arguments after the flags (what a shell makes of -r day/*.pcap). Those
// are taken only when at least one -r was given and every one is a file
// (not, say, a tcpdump filter expression).
func inputNames(reads, args []string) ([]string, error) {
	if len(args) > 0 && len(reads) == 0 {
		return nil, fmt.Errorf("unexpected arguments %q (give capture files with -r)", args)
	}
	var notFiles []string
	for _, a := range args {
		if fi, err := os.Stat(a); err != nil || fi.IsDir() {
			notFiles = append(notFiles, a)
		}
	}
	if len(notFiles) > 0 {
		return nil, fmt.Errorf("unexpected arguments %q: not capture files (give files after -r; a filter expression goes with -f, live)", notFiles)
	}
	var names []string
	for _, r := range reads {
		if r == "-" || !strings.ContainsAny(r, "*?[") {
			names = append(names, r)
			continue
		}
		if _, err := os.Stat(r); err == nil {
			names = append(names, r) // a file whose name looks like a pattern
			continue
		}
		m, err := filepath.Glob(r)
		if err != nil {
			return nil, fmt.Errorf("-r %q: %w", r, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("-r %q: no file matches", r)
		}
		names = append(names, m...)
	}
	return append(names, args...), nil
}

// openInputs opens the -r inputs; "-" is stdin. Files are read and
// decoded a few batches ahead on a second goroutine (decode.Prefetch);
// standard input is not, so a pipe from a running capture still streams.
func openInputs(names []string, stdin io.Reader) (decode.Source, error) {
	if len(names) == 1 && names[0] == "-" {
		return decode.NewReaderSource("-", stdin)
	}
	src, err := decode.OpenFiles(names)
	if err != nil || slices.Contains(names, "-") {
		return src, err
	}
	return decode.Prefetch(src), nil
}

// splitErrors returns the errors joined in err (errors.Join), or err.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progress draws one progress line on stderr, starting once the run has
// taken more than a moment.
type progress struct {
	w     io.Writer
	start time.Time
	drawn bool
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

// report is the ftpsniff.Config.Progress callback.
func (p *progress) report(st decode.Stats, sessions int, done bool) {
	if done {
		if p.drawn {
			fmt.Fprint(p.w, "\r\033[K")
		}
		return
	}
	el := time.Since(p.start)
	if el < time.Second {
		return
	}
	p.drawn = true
	rate := float64(st.Packets) / el.Seconds()
	fmt.Fprintf(p.w, "\r\033[Kread %.1f MB, %d packets, %d FTP sessions, %.0f packets/s", float64(st.FileBytes)/1e6, st.Packets, sessions, rate)
}

// flagUsages is pflag's flag list without the "[=true|false]" it appends to
// boolean flags (columns stay aligned).
func flagUsages(fs *pflag.FlagSet) string {
	const b = "[=true|false]"
	return strings.ReplaceAll(fs.FlagUsages(), b, strings.Repeat(" ", len(b)))
}
