package output

import (
	"slices"
	"strconv"

	"github.com/ftpsniff/ftpsniff/session"
	"github.com/ftpsniff/ftpsniff/session/ftp"
)

// flagNames are the names of session's flags as every output shows them
// (docs/output.md lists them).
var flagNames = [session.FlagCount]string{
	session.FlagNATMismatch:                "nat-mismatch",
	session.FlagPrivateAddress:             "private-address",
	session.FlagThirdParty:                 "third-party",
	session.FlagPrivilegedPort:             "privileged-port",
	session.FlagConnectedElsewhere:         "connected-elsewhere",
	session.FlagSYNBeforeReply:             "syn-before-reply",
	session.FlagActiveSourceNot20:          "active-source-not-20",
	session.FlagLateSYN:                    "late-syn",
	session.Flag229ForPASV:                 "229-for-pasv",
	session.Flag227ForEPSV:                 "227-for-epsv",
	session.FlagMultilineReply:             "multiline-reply",
	session.FlagCommandNotSeen:             "command-not-seen",
	session.FlagUnexpectedReply:            "unexpected-reply",
	session.FlagBadArgument:                "bad-argument",
	session.FlagBadReply:                   "bad-reply",
	session.FlagDataNotCaptured:            "data-not-captured",
	session.FlagCaptureLoss:                "capture-loss",
	session.FlagTLS:                        "tls",
	session.FlagControlGap:                 "control-gap",
	session.FlagControlReset:               "control-reset",
	session.FlagIPFragments:                "ip-fragments",
	session.FlagSnaplenTruncated:           "snaplen-truncated",
	session.FlagOverlongLine:               "overlong-line",
	session.FlagTelnetIAC:                  "telnet-iac",
	session.FlagLFOnly:                     "lf-only",
	session.FlagPartialLine:                "partial-line",
	session.FlagInvalidCommand:             "invalid-command",
	session.FlagInvalidReply:               "invalid-reply",
	session.FlagBrokenMultiline:            "broken-multiline",
	session.FlagUnsolicitedReply:           "unsolicited-reply",
	session.FlagLostReplies:                "lost-replies",
	session.FlagTransferWithoutNegotiation: "transfer-without-negotiation",
	session.FlagTooManyPendingCommands:     "too-many-pending-commands",
	session.FlagTransferCap:                "transfer-cap",
	session.FlagCCC:                        "ccc",
	session.FlagSYNACKNotCaptured:          "synack-not-captured",
	session.FlagHandshakeNotCaptured:       "handshake-not-captured",
	session.FlagOneSided:                   "one-sided",
	session.FlagClockSkew:                  "clock-skew",
	session.FlagDuplicateFrames:            "duplicate-frames",
	session.FlagClockJump:                  "clock-jump",
	session.FlagNoDataConnections:          "no-data-connections",
	session.FlagSuperseded:                 "superseded",
	session.FlagResumed:                    "resumed",
	session.FlagMidStream:                  "midstream",
	session.FlagBlocked:                    "blocked",
	session.FlagUnanswered:                 "unanswered",
}

// FlagName returns the name of f as the outputs show it.
func FlagName(f session.Flag) string {
	if int(f) < len(flagNames) && flagNames[f] != "" {
		return flagNames[f]
	}
	return "flag-" + strconv.Itoa(int(f))
}

// FlagNames returns the names of a record's flags and parser notes, sorted.
func FlagNames(fs session.Flags, notes ftp.Notes) []string {
	return AppendFlagNames(nil, fs, notes)
}

// AppendFlagNames appends FlagNames(fs, notes) to dst and returns it; only
// the appended part is sorted.
func AppendFlagNames(dst []string, fs session.Flags, notes ftp.Notes) []string {
	n := len(dst)
	for f := range fs.All() {
		dst = append(dst, FlagName(f))
	}
	if notes != 0 {
		dst = append(dst, notes.Strings()...)
	}
	slices.Sort(dst[n:])
	return dst
}
