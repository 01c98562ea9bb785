// Package synth builds deterministic packet captures of FTP conversations
// for testing and benchmarking ftpsniff.
//
// A Capture holds an explicit clock and a list of frames. Conn scripts one
// TCP connection on it (handshake, data in segments with correct sequence
// and acknowledgement numbers, retransmissions, reordering, gaps, FIN or RST
// close) and the failure shapes of FTP data connections (unanswered SYNs,
// SYN answered by RST, SYN answered by an ICMP error quoting it). Frames are
// serialized with gopacket (lengths and checksums computed) on one of several
// link types and written as pcap (either byte order, micro- or nanosecond
// timestamps), pcapng (one or two interfaces) or gzip-compressed.
//
// Cases lists hand-written scenarios with their expected ftpsniff verdicts;
// Generate streams large interleaved captures for benchmarks.
package synth
