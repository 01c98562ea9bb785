package main

import (
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// terminalWidth reports whether w is a terminal and, if so, its width:
// COLUMNS when set to a number, else the terminal's own, else 80.
func terminalWidth(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv("COLUMNS"))); err == nil && n > 0 {
		return true, n
	}
	if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
		return true, width
	}
	return true, 80
}

// colorAllowed reports whether a terminal may be coloured: not when
// NO_COLOR is set (https://no-color.org) or TERM is "dumb".
func colorAllowed() bool {
	if _, set := os.LookupEnv("NO_COLOR"); set {
		return false
	}
	return os.Getenv("TERM") != "dumb"
}

// auditOnlyFlags are "ftpsniff audit" options a user may give the main
// command by mistake.
var auditOnlyFlags = []string{"fail-on", "policy", "allow-passive", "no-active", "helper", "helper-ports",
	"loose", "nft-table", "nft-chain", "nat-pair"}

// auditHint returns a sentence pointing to "ftpsniff audit" when err is an
// unknown flag of the main command that audit has ("" otherwise).
func auditHint(err error) string {
	msg := err.Error()
	for _, f := range auditOnlyFlags {
		if strings.Contains(msg, "unknown flag: --"+f) {
			return "; --" + f + " is an option of ftpsniff audit: ftpsniff audit -r FILE --" + f + " ... (see ftpsniff audit --help)"
		}
	}
	return ""
}
