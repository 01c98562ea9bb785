package ftp

// Command is one parsed FTP command line.
type Command struct {
	// Verb is the command verb, upper-cased ASCII (e.g. "PORT", "XCWD").
	Verb string
	// Arg is the rest of the line after the separating space(s)/tab(s),
	// with trailing spaces and tabs trimmed. It is empty for a bare verb.
	Arg string
}

// MaxVerbLen is the longest verb ParseCommand accepts.
const MaxVerbLen = 4

// ParseCommand parses one command line (without its line ending). It
// accepts leading whitespace, case-insensitive verbs of 3-4 ASCII letters
// (which covers the X-prefixed RFC 775 forms such as XCWD), the verb alone
// or followed by SP/TAB and an argument. ok is false when the line is not a
// plausible FTP command: empty, a verb containing digits or punctuation, a
// verb shorter than 3 or longer than 4 letters.
func ParseCommand(line []byte) (Command, bool) {
	c, _, ok := ParseCommandNotes(line)
	return c, ok
}

// ParseCommandNotes is ParseCommand that also reports framing quirks:
// NoteCmdLeadingSpace, NoteCmdExtraSpaces, NoteCmdTabSeparator and
// NoteCmdLowercase.
func ParseCommandNotes(line []byte) (Command, Notes, bool) {
	var notes Notes
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	if i > 0 {
		notes |= NoteCmdLeadingSpace
	}
	start := i
	var up [MaxVerbLen]byte
	for i < len(line) && isLetter(line[i]) {
		if i-start >= MaxVerbLen {
			return Command{}, notes, false
		}
		c := line[i]
		if c >= 'a' {
			notes |= NoteCmdLowercase
			c -= 'a' - 'A'
		}
		up[i-start] = c
		i++
	}
	n := i - start
	if n < 3 {
		return Command{}, notes, false
	}
	if i < len(line) && !isSpace(line[i]) {
		return Command{}, notes, false
	}
	verb := internVerb(up[:n])
	j := i
	for j < len(line) && isSpace(line[j]) {
		if line[j] == '\t' {
			notes |= NoteCmdTabSeparator
		}
		j++
	}
	if j-i > 1 && j < len(line) {
		notes |= NoteCmdExtraSpaces
	}
	end := len(line)
	for end > j && isSpace(line[end-1]) {
		end--
	}
	var arg string
	if end > j {
		arg = string(line[j:end])
	}
	return Command{Verb: verb, Arg: arg}, notes, true
}

func isSpace(c byte) bool  { return c == ' ' || c == '\t' }
func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// internVerb returns a constant string for well-known verbs (no
// allocation) and a fresh string otherwise.
func internVerb(b []byte) string {
	switch string(b) {
	case "USER":
		return "USER"
	case "PASS":
		return "PASS"
	case "ACCT":
		return "ACCT"
	case "CWD":
		return "CWD"
	case "CDUP":
		return "CDUP"
	case "QUIT":
		return "QUIT"
	case "PORT":
		return "PORT"
	case "PASV":
		return "PASV"
	case "EPRT":
		return "EPRT"
	case "EPSV":
		return "EPSV"
	case "LPRT":
		return "LPRT"
	case "LPSV":
		return "LPSV"
	case "TYPE":
		return "TYPE"
	case "MODE":
		return "MODE"
	case "STRU":
		return "STRU"
	case "RETR":
		return "RETR"
	case "STOR":
		return "STOR"
	case "STOU":
		return "STOU"
	case "APPE":
		return "APPE"
	case "LIST":
		return "LIST"
	case "NLST":
		return "NLST"
	case "MLSD":
		return "MLSD"
	case "MLST":
		return "MLST"
	case "REST":
		return "REST"
	case "ABOR":
		return "ABOR"
	case "DELE":
		return "DELE"
	case "RNFR":
		return "RNFR"
	case "RNTO":
		return "RNTO"
	case "MKD":
		return "MKD"
	case "RMD":
		return "RMD"
	case "PWD":
		return "PWD"
	case "SYST":
		return "SYST"
	case "STAT":
		return "STAT"
	case "HELP":
		return "HELP"
	case "NOOP":
		return "NOOP"
	case "FEAT":
		return "FEAT"
	case "OPTS":
		return "OPTS"
	case "SIZE":
		return "SIZE"
	case "MDTM":
		return "MDTM"
	case "SITE":
		return "SITE"
	case "AUTH":
		return "AUTH"
	case "PBSZ":
		return "PBSZ"
	case "PROT":
		return "PROT"
	case "CCC":
		return "CCC"
	case "ADAT":
		return "ADAT"
	case "XCWD":
		return "XCWD"
	case "XMKD":
		return "XMKD"
	case "XRMD":
		return "XRMD"
	case "XPWD":
		return "XPWD"
	case "XCUP":
		return "XCUP"
	case "ALLO":
		return "ALLO"
	case "REIN":
		return "REIN"
	case "SMNT":
		return "SMNT"
	case "HOST":
		return "HOST"
	case "LANG":
		return "LANG"
	case "CLNT":
		return "CLNT"
	}
	return string(b)
}
