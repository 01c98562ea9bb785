package session

import (
	"iter"
	"math/bits"
)

// Flag is one anomaly or context marker on a transfer, a session or the
// summary. Flags are compared as values; their names (nat-mismatch,
// synack-not-captured, ...) are rendered by package output.
type Flag uint8

// The flags. Order does not matter to any output (names are sorted when
// rendered); new flags are added at the end, before flagCount.
const (
	// Transfer flags about the advertised endpoint.
	FlagNATMismatch        Flag = iota // advertised address is not the peer's control address
	FlagPrivateAddress                 // ... and it is private / non-public
	FlagThirdParty                     // ... and it is another public host
	FlagPrivilegedPort                 // advertised port < 1024
	FlagConnectedElsewhere             // the SYN went to another address than the advertised one
	FlagSYNBeforeReply                 // the SYN was seen before the negotiation that announced it
	FlagActiveSourceNot20              // an active data connection not from port 20
	FlagLateSYN                        // the SYN came more than 5 minutes after the negotiation
	Flag229ForPASV                     // PASV answered by 229
	Flag227ForEPSV                     // EPSV answered by 227
	FlagMultilineReply                 // the passive reply spanned lines
	FlagCommandNotSeen                 // passive reply without its command
	FlagUnexpectedReply                // a 2xx reply to PASV/EPSV/LPSV that is not 227/228/229
	FlagBadArgument                    // PORT/EPRT/LPRT argument could not be parsed
	FlagBadReply                       // 227/228/229 text could not be parsed
	FlagDataNotCaptured                // the replies say a data connection existed; the capture has none
	FlagCaptureLoss                    // kernel drops while the transfer was open
	FlagTLS                            // the control channel was encrypted (AUTH TLS)

	// Session flags about the control stream.
	FlagControlGap
	FlagControlReset
	FlagIPFragments
	FlagSnaplenTruncated
	FlagOverlongLine
	FlagTelnetIAC
	FlagLFOnly
	FlagPartialLine
	FlagInvalidCommand
	FlagInvalidReply
	FlagBrokenMultiline
	FlagUnsolicitedReply
	FlagLostReplies
	FlagTransferWithoutNegotiation
	FlagTooManyPendingCommands
	FlagTransferCap
	FlagCCC

	// Capture-quality flags (transfers, sessions and the summary).
	FlagSYNACKNotCaptured    // established by the connector's packets; the listener's SYN-ACK is not in the capture
	FlagHandshakeNotCaptured // the data connection's handshake happened before the capture began
	FlagOneSided             // only one direction of the data connection was captured
	FlagClockSkew            // a SYN-ACK or RST timestamped slightly before its SYN (merged captures)
	FlagDuplicateFrames      // frames of it were captured twice (SPAN, -i any)
	FlagClockJump            // a timestamp jumped far ahead or back (corrupt record): not used for the clock
	FlagNoDataConnections    // summary: transfers were negotiated but no data-connection packet is in the capture
	FlagSuperseded           // a later negotiation replaced it before any transfer command used it
	FlagResumed              // the session idled past the timeout, then resumed
	FlagMidStream            // the capture began after the control connection's handshake
	FlagBlocked              // a control connection that never got established (see Session.Verdict)
	FlagUnanswered           // the server never answered the negotiation

	flagCount // number of flags; keep last
)

// FlagCount is the number of defined flags: every Flag is below it.
const FlagCount = int(flagCount)

// Flags is a set of flags.
type Flags struct{ bits [2]uint64 }

// Add puts f in the set.
func (s *Flags) Add(f Flag) { s.bits[f>>6] |= 1 << (f & 63) }

// Remove takes f out of the set.
func (s *Flags) Remove(f Flag) { s.bits[f>>6] &^= 1 << (f & 63) }

// Has reports whether f is in the set.
func (s Flags) Has(f Flag) bool { return s.bits[f>>6]&(1<<(f&63)) != 0 }

// Len is the number of flags in the set.
func (s Flags) Len() int { return bits.OnesCount64(s.bits[0]) + bits.OnesCount64(s.bits[1]) }

// Union adds every flag of o to s.
func (s *Flags) Union(o Flags) { s.bits[0] |= o.bits[0]; s.bits[1] |= o.bits[1] }

// All yields the flags in the set in ascending value order.
func (s Flags) All() iter.Seq[Flag] {
	return func(yield func(Flag) bool) {
		for w, b := range s.bits {
			for b != 0 {
				i := bits.TrailingZeros64(b)
				b &^= 1 << i
				if !yield(Flag(w*64 + i)) {
					return
				}
			}
		}
	}
}

// FlagsOf returns the set holding fs.
func FlagsOf(fs ...Flag) Flags {
	var s Flags
	for _, f := range fs {
		s.Add(f)
	}
	return s
}
