package decode

import (
	"errors"
	"strconv"
)

// InputError reports a damaged or unusable input: a truncated or corrupt
// capture file, a corrupt gzip stream, a pcapng interface with an
// unsupported link type, or (Packet 0) a file that could not be opened or
// whose file header could not be used. A Source abandons the input after
// returning it; further calls to Next continue with the remaining inputs.
type InputError struct {
	// File names the input ("-" for stdin).
	File string
	// Packet is the 1-based frame number within File whose reading
	// failed, or 0 for the file header.
	Packet uint64
	// Offset is the byte offset in the (decompressed) file where the
	// failing record or block starts, or -1 if unknown.
	Offset int64
	// Err is the underlying error.
	Err error
}

// Error returns one line such as
// "trace.pcap: packet 1234 (offset 56789): truncated record: unexpected EOF".
func (e *InputError) Error() string {
	s := e.File
	if e.Packet > 0 {
		s += ": packet " + strconv.FormatUint(e.Packet, 10)
		if e.Offset >= 0 {
			s += " (offset " + strconv.FormatInt(e.Offset, 10) + ")"
		}
	} else if e.Offset > 0 {
		s += ": offset " + strconv.FormatInt(e.Offset, 10)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("decode: source closed")
