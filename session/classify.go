package session

import "net/netip"

// AddrClass is the kind of address an FTP peer advertised.
type AddrClass string

// Address classes, from the most to the least specific.
const (
	ClassUnspecified AddrClass = "unspecified" // 0.0.0.0, ::
	ClassLoopback    AddrClass = "loopback"    // 127/8, ::1
	ClassLinkLocal   AddrClass = "link-local"  // 169.254/16, fe80::/10
	ClassPrivate     AddrClass = "private"     // RFC 1918
	ClassCGNAT       AddrClass = "cgnat"       // 100.64/10 (RFC 6598)
	ClassULA         AddrClass = "ula"         // fc00::/7
	ClassPublic      AddrClass = "public"      // anything else
)

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Classify returns the class of a.
func Classify(a netip.Addr) AddrClass {
	a = a.Unmap()
	switch {
	case !a.IsValid() || a.IsUnspecified():
		return ClassUnspecified
	case a.IsLoopback():
		return ClassLoopback
	case a.IsLinkLocalUnicast():
		return ClassLinkLocal
	case a.Is4() && a.IsPrivate():
		return ClassPrivate
	case a.Is4() && cgnat.Contains(a):
		return ClassCGNAT
	case a.Is6() && a.IsPrivate():
		return ClassULA
	}
	return ClassPublic
}

// NonPublic reports whether c is an address that does not route on the
// public Internet.
func (c AddrClass) NonPublic() bool { return c != ClassPublic }
