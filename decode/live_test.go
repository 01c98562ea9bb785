package decode

import (
	"strings"
	"testing"
)

func TestComposeFilter(t *testing.T) {
	if got := ComposeFilter(""); got != NeededTraffic {
		t.Errorf("ComposeFilter(\"\") = %q", got)
	}
	if got := ComposeFilter("host 192.0.2.1"); got != "(host 192.0.2.1) and (tcp or icmp or icmp6 or vlan)" {
		t.Errorf("ComposeFilter = %q", got)
	}
}

func TestFilterWarning(t *testing.T) {
	for expr, warn := range map[string]bool{
		"port 21":                        true,
		"tcp port 21":                    true,
		"host 192.0.2.1 and port 21":     true,
		"src port 21":                    true,
		"portrange 21-22":                true,
		"host 192.0.2.1":                 false,
		"net 192.0.2.0/24":               false,
		"not port 22":                    false,
		"host 192.0.2.1 and not port 22": false,
		"not src port 53":                false,
	} {
		w := FilterWarning(expr)
		if (w != "") != warn {
			t.Errorf("FilterWarning(%q) = %q, want warning=%v", expr, w, warn)
		}
		if w != "" && !strings.Contains(w, "data connections") {
			t.Errorf("FilterWarning(%q) = %q does not explain", expr, w)
		}
	}
}

func TestListInterfaces(t *testing.T) {
	ifs, err := ListInterfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(ifs) == 0 {
		t.Fatal("no interfaces")
	}
	if anySupported && ifs[0].Name != AnyInterface {
		t.Errorf("first interface %q, want any", ifs[0].Name)
	}
}
