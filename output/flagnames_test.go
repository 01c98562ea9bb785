package output

import (
	"testing"

	"github.com/ftpsniff/ftpsniff/session"
)

// TestEveryFlagHasAName: a flag added to session must get its name here.
func TestEveryFlagHasAName(t *testing.T) {
	seen := map[string]session.Flag{}
	for f := range session.FlagCount {
		n := flagNames[f]
		if n == "" {
			t.Errorf("flag %d has no name", f)
		}
		if o, dup := seen[n]; dup {
			t.Errorf("flags %d and %d are both named %q", o, f, n)
		}
		seen[n] = session.Flag(f)
	}
}

func TestFlagNamesSorted(t *testing.T) {
	got := FlagNames(session.FlagsOf(session.FlagTLS, session.FlagNATMismatch), 0)
	if len(got) != 2 || got[0] != "nat-mismatch" || got[1] != "tls" {
		t.Errorf("FlagNames = %v", got)
	}
}
