package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ftpsniff/ftpsniff"
	"github.com/ftpsniff/ftpsniff/audit"
	"github.com/ftpsniff/ftpsniff/output"
)

// exitFailOn is returned by "ftpsniff audit" when --fail-on matched.
const exitFailOn = 4

type auditOptions struct {
	reads        []string
	format       string
	policy       string
	allowPassive string
	noActive     bool
	helper       bool
	helperPorts  []string
	loose        bool
	failOn       []string
	nftTable     string
	nftChain     string
	nftInput     string
	nftOutput    string
	verbose      bool
	analysis     analysisOptions
	natPair      bool
	maxRows      int
}

const auditUsageHead = `Usage: ftpsniff audit -r FILE [-r FILE ...] [options]
       ftpsniff audit --nat-pair INSIDE OUTSIDE [-F table|json] [--ports P] [--fail-on nat]

Firewall audit of the FTP sessions in the captures: for every failed data
connection, who dropped it, where and why; what the Linux FTP conntrack
helper (nf_conntrack_ftp) would have done with every negotiation; a summary
per server; a check against a policy (--policy, --allow-passive,
--no-active, --helper); and the minimal nftables/iptables rules or server
settings that make the observed sessions work. With --nat-pair, compare
two captures of the same traffic taken inside and outside a NAT: was every
PORT/EPRT/227/229 rewritten by the NAT's FTP helper, consistently with its
translation, and were seq/ack adjusted afterwards. See docs/audit.md.

Options:
`

const auditUsageTail = `
Exit status:
  0  audited; no finding matched --fail-on
  1  input could not be read, or output could not be written
  2  bad usage (including an unreadable or invalid --policy file)
  3  an input was damaged or truncated (what was readable was audited)
  4  findings matched --fail-on (checked after 1 and 3)
`

func newAuditFlags(o *auditOptions, stdout, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("ftpsniff audit", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(stderr)
	fs.StringArrayVarP(&o.reads, "read", "r", nil, "read packets from `FILE` (pcap, pcapng, gzip; \"-\" = stdin); repeatable")
	fs.StringVarP(&o.format, "format", "F", "table", "output `format`: table, json (JSON Lines), nft (only the nftables rules, for nft -f) or html (the report with findings and fixes)")
	fs.StringVar(&o.policy, "policy", "", "check transfers against the policy in `FILE` (format: docs/audit.md)")
	fs.StringVar(&o.allowPassive, "allow-passive", "", "policy shorthand: allowed passive `ports`, e.g. 1024-5000 (default section)")
	fs.BoolVar(&o.noActive, "no-active", false, "policy shorthand: active mode (PORT/EPRT) is not allowed")
	fs.BoolVar(&o.helper, "helper", false, "policy shorthand: the firewall runs the FTP conntrack helper on the control ports")
	fs.StringSliceVar(&o.helperPorts, "helper-ports", []string{"21"}, "control `ports` the modelled helper is attached to")
	fs.BoolVar(&o.loose, "loose", false, "model the helper with loose=1 (expect connections to a foreign advertised address)")
	fs.StringSliceVar(&o.failOn, "fail-on", nil, "exit 4 when findings of these `categories` exist: "+strings.Join(audit.FailOnNames, ","))
	fs.StringVar(&o.nftTable, "nft-table", "inet filter", "`family and table` the emitted nftables rules go into")
	fs.StringVar(&o.nftChain, "nft-chain", "forward", "router filter `chain` (in --nft-table) the data-connection rules are inserted into")
	fs.StringVar(&o.nftInput, "nft-input-chain", "input", "host filter `chain` (in --nft-table) rules for a client or server host firewall are inserted into")
	fs.StringVar(&o.nftOutput, "nft-output-chain", "output", "host filter `chain` (in --nft-table) rules for a host's outbound data connections are inserted into")
	addAnalysisFlags(fs, &o.analysis)
	fs.IntVar(&o.maxRows, "max-rows", output.DefaultMaxRows, "table with --verbose: at most `N` findings (and N ids per group); html: N transfers and N session diagrams (100 unless given), failures first; 0 = no limit")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "table format: add every finding's row and explanation to the grouped view")
	fs.BoolVar(&o.natPair, "nat-pair", false, "compare the captures INSIDE and OUTSIDE (two arguments) of a NAT instead of -r")
	fs.Usage = func() {
		fmt.Fprint(stdout, auditUsageHead)
		fmt.Fprint(stdout, flagUsages(fs))
		fmt.Fprint(stdout, auditUsageTail)
	}
	return fs
}

func parsePortList(name string, ps []string) ([]uint16, error) {
	var out []uint16
	for _, p := range ps {
		rs, err := audit.ParseRanges(p)
		if err != nil || len(rs) != 1 || rs[0].Lo != rs[0].Hi {
			return nil, fmt.Errorf("--%s: %q is not a TCP port", name, p)
		}
		out = append(out, rs[0].Lo)
	}
	return out, nil
}

// auditPolicy builds the policy from --policy and the shorthand flags (which
// override the file's default section).
func auditPolicy(o *auditOptions) (*audit.Policy, error) {
	var pol *audit.Policy
	if o.policy != "" {
		f, err := os.Open(o.policy)
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
		defer f.Close()
		pol, err = audit.ParsePolicy(f, o.policy)
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
	}
	if o.allowPassive == "" && !o.noActive && !o.helper {
		return pol, nil
	}
	if pol == nil {
		pol = &audit.Policy{}
	}
	if o.allowPassive != "" {
		rs, err := audit.ParseRanges(o.allowPassive)
		if err != nil {
			return nil, fmt.Errorf("--allow-passive: %w", err)
		}
		pol.Default.Passive = rs
	}
	if o.noActive {
		f := false
		pol.Default.Active = &f
	}
	if o.helper {
		t := true
		pol.Default.Helper = &t
	}
	return pol, nil
}

// runAudit is "ftpsniff audit": it returns the exit status.
func runAudit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o auditOptions
	fs := newAuditFlags(&o, stdout, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "ftpsniff audit: %v\n", err)
		return exitUsage
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ftpsniff audit: "+format+"\n", a...)
		return exitUsage
	}
	if o.natPair {
		return runNATPair(&o, fs.Args(), stdout, stderr)
	}
	reads, err := inputNames(o.reads, fs.Args())
	if err != nil {
		return usage("%v", err)
	}
	o.reads = reads
	if len(o.reads) == 0 {
		return usage("nothing to read: give a capture file with -r FILE (see --help)")
	}
	switch o.format {
	case "table", "json", "nft", "html":
	default:
		return usage("--format: unknown format %q (table, json, nft or html)", o.format)
	}
	if o.maxRows < 0 {
		return usage("--max-rows: %d is negative (0 shows every row)", o.maxRows)
	}
	failOn, err := audit.ParseFailOn(o.failOn)
	if err != nil {
		return usage("%v", err)
	}
	pol, err := auditPolicy(&o)
	if err != nil {
		return usage("%v", err)
	}
	acfg := audit.DefaultConfig()
	acfg.Policy = pol
	acfg.Helper.Loose = o.loose
	if acfg.Helper.Ports, err = parsePortList("helper-ports", o.helperPorts); err != nil {
		return usage("%v", err)
	}
	tf := strings.Fields(o.nftTable)
	if len(tf) != 2 || o.nftChain == "" {
		return usage("--nft-table wants \"FAMILY TABLE\", e.g. \"inet filter\"")
	}
	if o.nftInput == "" || o.nftOutput == "" {
		return usage("--nft-input-chain and --nft-output-chain want a chain name")
	}
	acfg.NFT = audit.NFTTarget{Family: tf[0], Table: tf[1], Chain: o.nftChain, InputChain: o.nftInput, OutputChain: o.nftOutput}

	cfg := ftpsniff.DefaultConfig()
	if err := o.analysis.apply(&cfg); err != nil {
		return usage("%v", err)
	}
	col := audit.NewCollectorFor(acfg)
	var sink output.Writer = col
	var page *output.HTMLWriter
	if o.format == "html" {
		cfg.Session.ControlEvents = output.LadderControlLines
		hopts := output.HTMLOptions{MaxRows: tableMaxRows(o.maxRows), Inputs: o.reads, Hold: true,
			Title: "ftpsniff audit"}
		if fs.Changed("max-rows") {
			hopts.MaxDiagrams = tableMaxRows(o.maxRows)
		}
		page = output.NewHTML(stdout, hopts)
		sink = output.Tee(col, page)
	}
	src, err := openInputs(o.reads, stdin)
	if err != nil {
		for _, e := range splitErrors(err) {
			fmt.Fprintf(stderr, "ftpsniff audit: %v\n", e)
		}
		return exitInput
	}
	defer src.Close()
	sum, runErr := ftpsniff.Run(ctx, src, cfg, sink)
	for _, e := range sum.InputErrors {
		fmt.Fprintf(stderr, "ftpsniff audit: %s\n", e)
	}
	if runErr != nil && !errors.Is(runErr, ftpsniff.ErrDamagedInput) {
		fmt.Fprintf(stderr, "ftpsniff audit: %v\n", runErr)
		return exitInput
	}
	rep := col.Analyze(acfg)
	meta := output.AuditMeta{FailOn: failOn, Matched: len(rep.Matches(failOn))}
	switch o.format {
	case "json":
		err = output.WriteAuditJSON(stdout, rep, meta)
	case "nft":
		err = output.WriteAuditNFT(stdout, rep)
	case "html":
		err = page.Render(&output.HTMLAudit{Report: rep, Meta: meta, Allowed: allowedPorts(rep, pol)})
	default:
		aopts := output.AuditOptions{MaxRows: tableMaxRows(o.maxRows), Verbose: o.verbose}
		if tty, width := terminalWidth(stdout); tty {
			aopts.Width = width // explanations wrap to the terminal, as the main table does
		}
		err = output.WriteAuditTable(stdout, rep, meta, aopts)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ftpsniff audit: %v\n", err)
		return exitInput
	}
	switch {
	case runErr != nil:
		return exitDamaged
	case meta.Matched > 0:
		return exitFailOn
	}
	return exitOK
}

// runNATPair is "ftpsniff audit --nat-pair INSIDE OUTSIDE".
func runNATPair(o *auditOptions, args []string, stdout, stderr io.Writer) int {
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ftpsniff audit: "+format+"\n", a...)
		return exitUsage
	}
	if len(args) != 2 {
		return usage("--nat-pair wants two capture files, INSIDE and OUTSIDE (got %d arguments)", len(args))
	}
	if len(o.reads) > 0 {
		return usage("--nat-pair takes its two captures as arguments, not -r")
	}
	if o.format != "table" && o.format != "json" {
		return usage("--format: %q is not available with --nat-pair (table or json)", o.format)
	}
	failOn, err := audit.ParseFailOn(o.failOn)
	if err != nil {
		return usage("%v", err)
	}
	run := ftpsniff.DefaultConfig()
	if err := o.analysis.apply(&run); err != nil {
		return usage("%v", err)
	}
	cfg := audit.DefaultNATPairConfig()
	var sides [2]*audit.NATSide
	damaged := false
	for i, name := range args {
		s, err := readNATSide(context.Background(), name, run)
		if err != nil {
			fmt.Fprintf(stderr, "ftpsniff audit: %v\n", err)
			return exitInput
		}
		for _, e := range s.Damaged {
			fmt.Fprintf(stderr, "ftpsniff audit: %v\n", e)
			damaged = true
		}
		for _, n := range s.Notes {
			fmt.Fprintf(stderr, "ftpsniff audit: %s\n", n)
		}
		sides[i] = s
	}
	rep := audit.CompareNAT(sides[0], sides[1], cfg)
	if o.format == "json" {
		err = output.WriteNATPairJSON(stdout, rep, failOn)
	} else {
		err = output.WriteNATPairTable(stdout, rep, failOn)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ftpsniff audit: %v\n", err)
		return exitInput
	}
	switch {
	case damaged:
		return exitDamaged
	case len(rep.Matches(failOn)) > 0:
		return exitFailOn
	}
	return exitOK
}

// allowedPorts returns, per audited server, the passive data ports its
// firewall allows as far as the audit knows them: the policy's passive
// ranges, else the range the audit inferred from the ports that worked and
// failed (not when that inference is only possible).
func allowedPorts(rep *audit.Report, pol *audit.Policy) map[netip.Addr]output.AllowedPorts {
	out := map[netip.Addr]output.AllowedPorts{}
	for _, s := range rep.Servers {
		a := s.Server.Addr().Unmap()
		if pol != nil {
			if e := pol.For(s.Server); len(e.Passive) > 0 {
				out[a] = output.AllowedFromRanges(e.Passive, "policy "+e.Scope)
				continue
			}
		}
		if ri := s.Allowed; ri != nil && ri.Confidence != audit.Possible {
			out[a] = output.AllowedFromRanges(audit.Ranges{ri.Allowed}, fmt.Sprintf("inferred (%s): %s", ri.Confidence, ri.Evidence))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
