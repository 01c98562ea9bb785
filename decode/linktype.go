package decode

import "strconv"

// Link types the Decoder understands (pcap LINKTYPE_* values).
const (
	// LinkTypeNull is BSD loopback: a 4-byte address family in the byte
	// order of the capturing host.
	LinkTypeNull LinkType = 0
	// LinkTypeEthernet is Ethernet II, with any 802.1Q/802.1ad tags.
	LinkTypeEthernet LinkType = 1
	// LinkTypeRawOpenBSD is raw IP as written by some BSDs (DLT 12).
	LinkTypeRawOpenBSD LinkType = 12
	// LinkTypeRawBSDOS is raw IP as written by BSD/OS (DLT 14).
	LinkTypeRawBSDOS LinkType = 14
	// LinkTypeRaw is raw IPv4 or IPv6; the version nibble decides.
	LinkTypeRaw LinkType = 101
	// LinkTypeLoop is OpenBSD loopback: like Null, normally big-endian.
	LinkTypeLoop LinkType = 108
	// LinkTypeLinuxSLL is Linux "cooked" capture v1 (tcpdump -i any, old).
	LinkTypeLinuxSLL LinkType = 113
	// LinkTypeIPv4 is raw IPv4.
	LinkTypeIPv4 LinkType = 228
	// LinkTypeIPv6 is raw IPv6.
	LinkTypeIPv6 LinkType = 229
	// LinkTypeLinuxSLL2 is Linux "cooked" capture v2 (tcpdump -i any,
	// libpcap >= 1.10).
	LinkTypeLinuxSLL2 LinkType = 276
)

// Supported reports whether the Decoder understands frames of link type lt.
func (lt LinkType) Supported() bool {
	switch lt {
	case LinkTypeNull, LinkTypeEthernet, LinkTypeRawOpenBSD, LinkTypeRawBSDOS,
		LinkTypeRaw, LinkTypeLoop, LinkTypeLinuxSLL, LinkTypeIPv4, LinkTypeIPv6,
		LinkTypeLinuxSLL2:
		return true
	}
	return false
}

// String returns the libpcap name of lt (for example "EN10MB"), or
// "LINKTYPE_<n>" for types the Decoder does not know.
func (lt LinkType) String() string {
	switch lt {
	case LinkTypeNull:
		return "NULL"
	case LinkTypeEthernet:
		return "EN10MB"
	case LinkTypeRawOpenBSD, LinkTypeRawBSDOS, LinkTypeRaw:
		return "RAW"
	case LinkTypeLoop:
		return "LOOP"
	case LinkTypeLinuxSLL:
		return "LINUX_SLL"
	case LinkTypeIPv4:
		return "IPV4"
	case LinkTypeIPv6:
		return "IPV6"
	case LinkTypeLinuxSLL2:
		return "LINUX_SLL2"
	}
	return "LINKTYPE_" + strconv.Itoa(int(lt))
}
