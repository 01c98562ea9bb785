package ftp

import "errors"

// Sentinel errors wrapped by every parse error of this package, so callers
// can tell a syntax problem from a value outside its allowed range with
// errors.Is.
var (
	// ErrMalformed means the input does not have the expected syntax.
	ErrMalformed = errors.New("malformed")
	// ErrOutOfRange means the syntax was fine but a number is outside its
	// allowed range (octet > 255, port 0, port > 65535, reply code < 100...).
	ErrOutOfRange = errors.New("out of range")
)

// ParseError describes why an FTP control-channel element could not be
// parsed. Kind is ErrMalformed or ErrOutOfRange and is returned by Unwrap.
type ParseError struct {
	// Op names what was being parsed, e.g. "PORT", "EPRT", "227", "reply".
	Op string
	// Msg is a human-readable description, e.g. "octet 256 out of range".
	Msg string
	// Kind is ErrMalformed or ErrOutOfRange.
	Kind error
}

// Error returns "Op: Msg".
func (e *ParseError) Error() string { return e.Op + ": " + e.Msg }

// Unwrap returns the error kind (ErrMalformed or ErrOutOfRange).
func (e *ParseError) Unwrap() error { return e.Kind }

func malformed(op, msg string) error {
	return &ParseError{Op: op, Msg: msg, Kind: ErrMalformed}
}

func outOfRange(op, msg string) error {
	return &ParseError{Op: op, Msg: msg, Kind: ErrOutOfRange}
}
