// Package ftp holds pure, allocation-light parsers for the FTP control
// channel: a line splitter that undoes Telnet framing, a command parser, a
// reply assembler for single- and multi-line replies, and parsers for the
// address/port arguments of PORT, EPRT and LPRT and of the 227, 228 and 229
// replies.
//
// The parsers are deliberately tolerant (they accept the variants real
// servers and clients send) but never guess: an out-of-range number is an
// error, not a masked value. Where an input is accepted but other analyzers
// or firewalls (Wireshark, Zeek, Suricata, Snort, Linux nf_conntrack_ftp)
// would read it differently, the parsers return Notes describing the quirk.
//
// Nothing in this package keeps global mutable state; a LineSplitter and a
// ReplyAssembler each belong to one direction of one control connection and
// are not safe for concurrent use.
package ftp
