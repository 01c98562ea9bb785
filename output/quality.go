package output

import (
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/session"
)

// qualityItem is one thing the capture could not show: a short phrase for
// the table's and text's summary lines ("12 duplicate frames") and a
// sentence in plain words for the HTML report.
type qualityItem struct {
	phrase, words string
}

// qualityItems lists the capture-quality problems of a run, most serious
// first (none when the capture was complete).
func qualityItems(sum *session.Summary) []qualityItem {
	var out []qualityItem
	q := &sum.Quality
	// add adds n's item; words is "N <one>|<many>": the sentence for one,
	// then for more (N replaced by the count).
	add := func(n uint64, phrase, words string) {
		if n > 0 {
			c := strconv.FormatUint(n, 10)
			one, many, _ := strings.Cut(words, "|")
			w := many
			if n == 1 {
				w = one
			}
			out = append(out, qualityItem{c + " " + phrase, strings.ReplaceAll(w, "N", c)})
		}
	}
	add(sum.KernelDrops, "kernel drops",
		"N packet was dropped by the kernel while capturing: verdicts may be missing evidence.|"+
			"N packets were dropped by the kernel while capturing: verdicts may be missing evidence.")
	if sum.Flags.Has(session.FlagNoDataConnections) {
		out = append(out, qualityItem{"no data connections captured",
			"Transfers were negotiated but no packet of any data connection is in the capture: the capture filter or tap saw the control channel only."})
	}
	if q.OneSidedConns > 0 {
		p := plural(q.OneSidedConns, "one-sided data connection")
		w := "N data connections were captured in one direction only (asymmetric routing or a one-way tap)"
		if q.OneSidedConns == 1 {
			w = "N data connection was captured in one direction only (asymmetric routing or a one-way tap)"
		}
		if q.OneSidedPairs > 0 {
			p += " (" + plural(q.OneSidedPairs, "host pair") + ")"
			w += "; for " + plural(q.OneSidedPairs, "host pair") + " every data connection was one-sided"
		}
		out = append(out, qualityItem{p, strings.ReplaceAll(w, "N", strconv.Itoa(q.OneSidedConns)) + "."})
	}
	add(q.TruncatedFTP, "truncated FTP frames",
		"N frame of an FTP connection was cut short by the snap length: FTP lines or headers were lost (capture with -s 0).|"+
			"N frames of FTP connections were cut short by the snap length: FTP lines or headers were lost (capture with -s 0).")
	add(sum.Truncated, "truncated frames", "N frame was shorter on disk than on the wire (snap length).|"+
		"N frames were shorter on disk than on the wire (snap length).")
	if q.ControlGaps > 0 {
		out = append(out, qualityItem{plural(q.ControlGaps, "control-channel gap") + " (" + strconv.FormatInt(q.ControlGapBytes, 10) + " bytes)",
			pick(q.ControlGaps, "1 stretch of a control channel", strconv.Itoa(q.ControlGaps)+" stretches of control channels") +
				" (" + strconv.FormatInt(q.ControlGapBytes, 10) + " bytes) missing from the capture: commands or replies in them could not be read."})
	}
	add(q.DuplicateFrames, "duplicate frames",
		"N frame was captured twice (a SPAN port or -i any) and counted once.|"+
			"N frames were captured twice (a SPAN port or -i any) and counted once.")
	if q.ClockJumps > 0 {
		out = append(out, qualityItem{plural(q.ClockJumps, "clock jump"),
			pick(q.ClockJumps, "1 timestamp", strconv.Itoa(q.ClockJumps)+" timestamps") +
				" far from their neighbours (a corrupt record) not used for the clock."})
	}
	if q.ClockSkews > 0 {
		out = append(out, qualityItem{plural(q.ClockSkews, "clock skew"),
			pick(q.ClockSkews, "1 SYN-ACK or RST", strconv.Itoa(q.ClockSkews)+" SYN-ACKs or RSTs") +
				" timestamped before their SYN (captures merged from several points)."})
	}
	add(sum.Undecoded, "undecoded frames", "N frame could not be decoded (not IP, or an unsupported link type).|"+
		"N frames could not be decoded (not IP, or an unsupported link type).")
	add(sum.StateLimitDrops, "state-limit drops",
		"N connection or command was not tracked because a state limit was reached.|"+
			"N connections or commands were not tracked because a state limit was reached.")
	return out
}

// qualityPhrase renders the capture-quality problems as one line for the
// table and text summaries ("12 duplicate frames, 3 one-sided data
// connections"); "" when there are none.
func qualityPhrase(sum *session.Summary) string {
	items := qualityItems(sum)
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.phrase
	}
	return strings.Join(parts, ", ")
}

// qualityWarnings renders the capture-quality problems as sentences.
func qualityWarnings(sum *session.Summary) []string {
	items := qualityItems(sum)
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.words
	}
	return out
}

// pick returns one when n is 1, else many.
func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
