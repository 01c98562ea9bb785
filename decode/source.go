package decode

import "errors"

// Source delivers packets in order. Implementations: files (pcap, pcapng,
// gzip, stdin, several files merged by time) and live interfaces.
type Source interface {
	// Next fills p with the next frame. It returns io.EOF when the input is
	// exhausted. A damaged input returns an *InputError describing where;
	// the caller may call Next again to continue with the remaining inputs.
	Next(p *Packet) error
	// Stats returns counters accumulated so far.
	Stats() Stats
	// Close releases the source; for live sources it unblocks Next.
	Close() error
}

// Stats counts what a Source has read.
type Stats struct {
	// Packets is the number of frames delivered by Next.
	Packets uint64
	// Bytes is the number of captured bytes delivered (sum of CapLen).
	Bytes uint64
	// FileBytes is the number of bytes consumed from input files, counted
	// before decompression where possible (for progress reporting).
	FileBytes int64
	// Undecoded counts frames whose link or network layer could not be
	// decoded (unknown ethertype, malformed header).
	Undecoded uint64
	// KernelDrops and IfDrops are the live capture drop counters.
	KernelDrops, IfDrops uint64
}

// ErrTimeout is returned by live sources' Next when no packet arrived within
// their poll interval; the caller may advance its clocks and call Next again.
var ErrTimeout = errors.New("no packet within the poll interval")
