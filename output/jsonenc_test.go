package output

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// marshal is what encoding/json writes for v (HTML escaping off).
func marshal(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// TestHandEncoderMatchesEncodingJSON checks the hand-written encoder byte for
// byte against encoding/json on every fixture record.
func TestHandEncoderMatchesEncodingJSON(t *testing.T) {
	for _, r := range []run{sampleRun(), multiDayRun()} {
		for _, s := range r.sessions {
			for _, x := range r.transfers[s.ID] {
				jt := NewJSONTransfer(x)
				if got, want := jt.appendJSON(nil), marshal(t, jt); !bytes.Equal(got, want) {
					t.Errorf("transfer %d:\n got %s\nwant %s", x.ID, got, want)
				}
			}
			js := NewJSONSession(s)
			got, err := js.appendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := marshal(t, js); !bytes.Equal(got, want) {
				t.Errorf("session %d:\n got %s\nwant %s", s.ID, got, want)
			}
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "tab\tnl\ncr\r\x00\x01\x1f\x7f", "<html>&", "é ü 中", "bad \xff\xfe utf8", "line\u2028sep\u2029", "\b\f"} {
		if got, want := appendJSONString(nil, s), marshal(t, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s want %s", s, got, want)
		}
	}
}

func TestAppendJSONFloatAndTime(t *testing.T) {
	for _, f := range []float64{0, 1, 8.00006, 6.685, 1e-7, 123456789.123, 1e21, 0.000001} {
		if got, want := appendJSONFloat(nil, f), marshal(t, f); !bytes.Equal(got, want) {
			t.Errorf("%v: got %s want %s", f, got, want)
		}
	}
	for _, tm := range []time.Time{t0, t0.Add(123456789), time.Date(2001, 2, 3, 4, 5, 6, 7, time.FixedZone("x", 3600))} {
		if got, want := string(appendJSONTime(nil, tm)), tm.UTC().Format(LayoutJSON); got != want {
			t.Errorf("got %s want %s", got, want)
		}
	}
}
