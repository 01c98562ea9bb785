package decode

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"
)

// LiveSnapLen is the number of bytes captured of each live frame (libpcap's
// MAXIMUM_SNAPLEN): whole frames, even with GRO/TSO super-packets.
const LiveSnapLen = 262144

// DefaultPollInterval is how long a live source's Next waits for a packet
// before it returns ErrTimeout.
const DefaultPollInterval = 250 * time.Millisecond

// DefaultBufferSize is the default kernel ring (or libpcap buffer) size.
const DefaultBufferSize = 32 << 20

// AnyInterface is the pseudo-interface that captures on every interface of
// the network namespace (Linux only), like tcpdump -i any.
const AnyInterface = "any"

// LiveOptions tunes OpenLive. The zero value is the documented default.
type LiveOptions struct {
	// NoPromisc leaves the interface out of promiscuous mode (tcpdump -p).
	NoPromisc bool
	// Filter is a libpcap filter expression ("-f"). It needs a binary
	// built with -tags libpcap; the default build rejects a non-empty
	// Filter with ErrNeedsLibpcap. OpenLive composes it with the traffic
	// ftpsniff needs: (Filter) and (tcp or icmp or icmp6 or vlan).
	Filter string
	// PollInterval is how long Next waits for a packet before returning
	// ErrTimeout; DefaultPollInterval when zero.
	PollInterval time.Duration
	// BufferSize is the kernel ring (or libpcap buffer) size in bytes;
	// DefaultBufferSize when zero.
	BufferSize int
}

func (o *LiveOptions) poll() time.Duration {
	if o.PollInterval <= 0 {
		return DefaultPollInterval
	}
	return o.PollInterval
}

func (o *LiveOptions) buffer() int {
	if o.BufferSize <= 0 {
		return DefaultBufferSize
	}
	return o.BufferSize
}

// Interface describes a network interface that can be captured on.
type Interface struct {
	// Name is what -i takes.
	Name string
	// Index is the kernel interface index (0 for "any").
	Index int
	// Up and Loopback report the interface flags.
	Up, Loopback bool
	// Addrs are the interface addresses in CIDR notation.
	Addrs []string
	// Description is a short note ("all interfaces" for "any").
	Description string
}

// ListInterfaces returns the interfaces live capture can open, sorted by
// index, with "any" first where the platform supports it.
func ListInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("listing network interfaces: %w", err)
	}
	var out []Interface
	if anySupported {
		out = append(out, Interface{Name: AnyInterface, Up: true, Description: "all interfaces (cooked capture)"})
	}
	sort.Slice(ifs, func(i, j int) bool { return ifs[i].Index < ifs[j].Index })
	for _, ifc := range ifs {
		x := Interface{
			Name:     ifc.Name,
			Index:    ifc.Index,
			Up:       ifc.Flags&net.FlagUp != 0,
			Loopback: ifc.Flags&net.FlagLoopback != 0,
		}
		if addrs, err := ifc.Addrs(); err == nil {
			for _, a := range addrs {
				x.Addrs = append(x.Addrs, a.String())
			}
		}
		out = append(out, x)
	}
	return out, nil
}

// interfaceNames returns "lo, eth0, ..." for error messages.
func interfaceNames() string {
	ifs, err := ListInterfaces()
	if err != nil || len(ifs) == 0 {
		return "none found"
	}
	names := make([]string, len(ifs))
	for i, x := range ifs {
		names[i] = x.Name
	}
	return strings.Join(names, ", ")
}

// UnknownInterfaceError is returned by OpenLive for an interface that does
// not exist; its message lists the interfaces that do.
type UnknownInterfaceError struct {
	Name string
	// Available is the comma-separated list of interface names.
	Available string
}

func (e *UnknownInterfaceError) Error() string {
	return fmt.Sprintf("no such interface %q (available: %s; see --list-interfaces)", e.Name, e.Available)
}

// checkInterface looks name up, returning an *UnknownInterfaceError when it
// does not exist.
func checkInterface(name string) (*net.Interface, error) {
	if name == "" {
		return nil, errors.New("no interface given")
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, &UnknownInterfaceError{Name: name, Available: interfaceNames()}
	}
	return ifc, nil
}

// ErrNeedsLibpcap is returned when a filter expression is given to a binary
// built without libpcap.
var ErrNeedsLibpcap = errors.New("filter expressions (-f) need a binary built with -tags libpcap: " +
	"apt-get install libpcap-dev && go build -tags libpcap ./cmd/ftpsniff")

// ErrPermission is wrapped by OpenLive's error when the process may not
// open a capture socket.
var ErrPermission = errors.New("live capture needs root or CAP_NET_RAW")

// ErrInterfaceDown is wrapped by Next's error when the captured interface
// went down or disappeared.
var ErrInterfaceDown = errors.New("interface went down")

// NeededTraffic is the filter expression for the traffic ftpsniff needs:
// all TCP (data connections use arbitrary ports), ICMP errors, and
// VLAN-tagged frames.
const NeededTraffic = "tcp or icmp or icmp6 or vlan"

// ComposeFilter returns the filter OpenLive installs for a user expression:
// the expression restricted to NeededTraffic, or NeededTraffic alone when
// expr is empty.
func ComposeFilter(expr string) string {
	if strings.TrimSpace(expr) == "" {
		return NeededTraffic
	}
	return "(" + expr + ") and (" + NeededTraffic + ")"
}

// FilterWarning returns a warning when expr restricts ports, which hides
// FTP data connections (they use ports negotiated on the control channel),
// or "" when it looks harmless. A negated restriction ("not port 22") is
// harmless.
func FilterWarning(expr string) string {
	fields := strings.FieldsFunc(strings.ToLower(expr), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '(' || r == ')'
	})
	for i, f := range fields {
		if f != "port" && f != "portrange" {
			continue
		}
		j := i - 1
		for j >= 0 && (fields[j] == "src" || fields[j] == "dst" || fields[j] == "tcp" || fields[j] == "or" ||
			fields[j] == "and") {
			j--
		}
		if j >= 0 && (fields[j] == "not" || fields[j] == "!") {
			continue
		}
		return fmt.Sprintf("filter %q restricts ports: FTP data connections use the ports negotiated "+
			"on the control channel (PASV, EPSV, PORT, EPRT), so their verdicts will be missing or wrong; "+
			"restrict by host instead (e.g. \"host 203.0.113.20\")", expr)
	}
	return ""
}
