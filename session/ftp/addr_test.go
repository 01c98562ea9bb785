package ftp

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

// kind classifies an error for table tests.
func kind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrOutOfRange):
		return "range"
	case errors.Is(err, ErrMalformed):
		return "malformed"
	}
	return "other"
}

type addrCase struct {
	in    string
	want  string // netip.AddrPort text, "" on error
	notes Notes
	kind  string // "", "range", "malformed"
	msg   string // exact error text when set
}

func checkAddr(t *testing.T, name string, f func(string) (netip.AddrPort, Notes, error), tests []addrCase) {
	t.Helper()
	for _, tt := range tests {
		ap, notes, err := f(tt.in)
		got := ""
		if ap.IsValid() {
			got = ap.String()
		}
		if got != tt.want || notes != tt.notes || kind(err) != tt.kind {
			t.Errorf("%s(%q) = %q, notes %v, err %v; want %q, notes %v, kind %q", name, tt.in, got, notes, err, tt.want, tt.notes, tt.kind)
		}
		if tt.msg != "" && (err == nil || err.Error() != tt.msg) {
			t.Errorf("%s(%q) error = %v, want %q", name, tt.in, err, tt.msg)
		}
		if err != nil && ap.IsValid() {
			t.Errorf("%s(%q): valid address with an error", name, tt.in)
		}
	}
}

func TestParsePORT(t *testing.T) {
	checkAddr(t, "ParsePORT", ParsePORT, []addrCase{
		{"198,51,100,5,156,77", "198.51.100.5:40013", 0, "", ""},
		{" 10,0,0,1,0,21 ", "10.0.0.1:21", 0, "", ""},
		{"10, 0, 0, 1, 4, 1", "10.0.0.1:1025", NoteSpacesAfterCommas, "", ""},
		{"10,\t0,0,1,4,1", "10.0.0.1:1025", NoteSpacesAfterCommas, "", ""},
		{"010,000,000,001,004,001", "10.0.0.1:1025", 0, "", ""},
		{"0,0,0,0,0,1", "0.0.0.0:1", 0, "", ""},
		{"255,255,255,255,255,255", "255.255.255.255:65535", 0, "", ""},
		{"198,51,100,5,256,22", "", NotePortByteGT255, "range", "PORT: port byte 256 out of range"},
		{"198,51,100,5,1,256", "", NotePortByteGT255, "range", ""},
		{"256,51,100,5,1,2", "", NoteHostOctetGT255, "range", "PORT: octet 256 out of range"},
		{"99999999999999999999,1,1,1,1,1", "", NoteHostOctetGT255, "range", ""},
		{"-1,51,100,5,1,2", "", NoteNegativeNumber, "range", "PORT: octet -1 out of range"},
		{"1,2,3,4,-1,2", "", NoteNegativeNumber, "range", ""},
		{"1,2,3,4,0,0", "", NotePortZero, "range", "PORT: port 0"},
		{"1,2,3,4,5,6x", "", 0, "malformed", `PORT: trailing garbage "x"`},
		{"1,2,3,4,5,6,7", "", 0, "malformed", ""},
		{"1,2,3,4,5,6 7", "", 0, "malformed", ""},
		{"1,2,3,4,5", "", 0, "malformed", ""},
		{"1,2,3,4,5,", "", 0, "malformed", ""},
		{"1 ,2,3,4,5,6", "", 0, "malformed", ""},
		{"1,,2,3,4,5,6", "", 0, "malformed", ""},
		{"(1,2,3,4,5,6)", "", 0, "malformed", ""},
		{"", "", 0, "malformed", ""},
		{"a,b,c,d,e,f", "", 0, "malformed", ""},
		{"1.2.3.4,5,6", "", 0, "malformed", ""},
		{"+1,2,3,4,5,6", "", 0, "malformed", ""},
	})
}

func TestParseEPRT(t *testing.T) {
	checkAddr(t, "ParseEPRT", ParseEPRT, []addrCase{
		{"|1|132.235.1.2|6275|", "132.235.1.2:6275", 0, "", ""},
		{"|2|1080::8:800:200C:417A|5282|", "[1080::8:800:200c:417a]:5282", 0, "", ""},
		{" |1|10.0.0.1|21| ", "10.0.0.1:21", 0, "", ""},
		{"!1!132.235.1.2!6275!", "132.235.1.2:6275", NoteOddDelimiter, "", ""},
		{"~2~::1~65535~", "[::1]:65535", NoteOddDelimiter, "", ""},
		{"|2|::ffff:1.2.3.4|80|", "[::ffff:1.2.3.4]:80", 0, "", ""},
		{"|1|::1|6275|", "", 0, "malformed", `EPRT: network protocol 1 with non-IPv4 address "::1"`},
		{"|2|10.0.0.1|6275|", "", 0, "malformed", ""},
		{"|3|10.0.0.1|6275|", "", 0, "malformed", ""},
		{"||10.0.0.1|6275|", "", 0, "malformed", ""},
		{"|1||6275|", "", 0, "malformed", ""},
		{"|1|10.0.0.1||", "", 0, "malformed", ""},
		{"|1|10.0.0.1|6275", "", 0, "malformed", `EPRT: missing delimiter in "|1|10.0.0.1|6275"`},
		{"|1|10.0.0.1|", "", 0, "malformed", ""},
		{"|1|10.0.0.1|65536|", "", 0, "range", "EPRT: port 65536 out of range"},
		{"|1|10.0.0.1|99999999999999|", "", 0, "range", ""},
		{"|1|10.0.0.1|0|", "", NotePortZero, "range", ""},
		{"|1|10.0.0.1|-1|", "", NoteNegativeNumber, "range", ""},
		{"|1|10.0.0.1|+1|", "", 0, "malformed", ""},
		{"|1|10.0.0.1|21x|", "", 0, "malformed", ""},
		{"|1|10.0.0.1|21|x", "", 0, "malformed", ""},
		{"|1|256.0.0.1|21|", "", 0, "malformed", ""},
		{"|2|fe80::1%eth0|21|", "", 0, "malformed", ""},
		{"1|1|10.0.0.1|21|", "", 0, "malformed", ""},
		{" 1|10.0.0.1|21|", "", 0, "malformed", ""},
		{"", "", 0, "malformed", ""},
		{"\x7f1\x7f10.0.0.1\x7f21\x7f", "", 0, "malformed", ""},
	})
}

func TestParseLPRT(t *testing.T) {
	checkAddr(t, "ParseLPRT", ParseLPRT, []addrCase{
		{"4,4,132,235,1,2,2,24,131", "132.235.1.2:6275", 0, "", ""},
		{"6,16,16,128,0,0,0,0,0,0,0,8,8,0,32,12,65,122,2,20,162", "[1080::8:800:200c:417a]:5282", 0, "", ""},
		{"4, 4, 10, 0, 0, 1, 2, 0, 21", "10.0.0.1:21", NoteSpacesAfterCommas, "", ""},
		{"4,16,132,235,1,2,2,24,131", "", 0, "malformed", ""},
		{"6,4,132,235,1,2,2,24,131", "", 0, "malformed", ""},
		{"5,4,132,235,1,2,2,24,131", "", 0, "malformed", ""},
		{"4,4,132,235,1,2,3,0,24,131", "", 0, "malformed", ""},
		{"4,4,132,235,1,2,2,24", "", 0, "malformed", ""},
		{"4,4,132,235,1,2,2,24,131,7", "", 0, "malformed", ""},
		{"4,4,132,235,1", "", 0, "malformed", ""},
		{"4,4,256,235,1,2,2,24,131", "", NoteHostOctetGT255, "range", "LPRT: octet 256 out of range"},
		{"4,4,1,235,1,2,2,256,131", "", NotePortByteGT255, "range", ""},
		{"4,4,1,235,1,2,2,0,0", "", NotePortZero, "range", ""},
		{"4,4,132,235,1,2,2,24,131x", "", 0, "malformed", ""},
		{"", "", 0, "malformed", ""},
		{"4", "", 0, "malformed", ""},
	})
}

func TestFormatRoundTrip(t *testing.T) {
	for _, s := range []string{"1.2.3.4:5", "255.255.255.255:65535", "0.0.0.0:1"} {
		ap := netip.MustParseAddrPort(s)
		got, _, err := ParsePORT(FormatPORT(ap))
		if err != nil || got != ap {
			t.Errorf("PORT round trip %s: %v %v", s, got, err)
		}
		got, _, err = ParseLPRT(FormatLPRT(ap))
		if err != nil || got != ap {
			t.Errorf("LPRT round trip %s: %v %v", s, got, err)
		}
	}
	for _, s := range []string{"1.2.3.4:5", "[2001:db8::1]:65535", "[::ffff:1.2.3.4]:80"} {
		ap := netip.MustParseAddrPort(s)
		got, _, err := ParseEPRT(FormatEPRT(ap))
		if err != nil || got != ap {
			t.Errorf("EPRT round trip %s: %v %v", s, got, err)
		}
		got, _, err = ParseLPRT(FormatLPRT(ap))
		if err != nil || got != ap {
			t.Errorf("LPRT round trip %s: %v %v", s, got, err)
		}
	}
	if FormatPORT(netip.MustParseAddrPort("[::1]:1")) != "" {
		t.Error("FormatPORT of IPv6 should be empty")
	}
}

func TestNotesStrings(t *testing.T) {
	if Notes(0).Strings() != nil {
		t.Error("zero notes should give nil")
	}
	got := (Note227NoParens | NoteOddDelimiter | Notes(1<<31)).Strings()
	want := []string{"227-no-parens", "odd-delimiter", "note-bit-31"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	seen := map[string]bool{}
	for i := 0; i < noteCount; i++ {
		n := Notes(1 << uint(i)).Strings()
		if len(n) != 1 || n[0] == "" || seen[n[0]] {
			t.Errorf("bit %d: bad or duplicate name %q", i, n)
		}
		seen[n[0]] = true
	}
	if !(NotePortZero | NoteOddDelimiter).Has(NotePortZero) || NotePortZero.Has(NoteOddDelimiter) {
		t.Error("Has")
	}
	if got := (NotePortZero | NoteNegativeNumber).String(); got != "port-zero,negative-number" {
		t.Errorf("String() = %q", got)
	}
}

func TestParseErrorType(t *testing.T) {
	_, notes, err := ParsePORT("198,51,100,5,256,22")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Op != "PORT" || pe.Kind != ErrOutOfRange || pe.Msg != "port byte 256 out of range" {
		t.Fatalf("got %#v", err)
	}
	if !notes.Has(NotePortByteGT255) || errors.Is(err, ErrMalformed) {
		t.Errorf("notes %v, err %v", notes, err)
	}
	_, _, err = ParseEPRT("|1|x|1|")
	if !errors.As(err, &pe) || pe.Op != "EPRT" || !errors.Is(err, ErrMalformed) {
		t.Errorf("got %#v", err)
	}
}
