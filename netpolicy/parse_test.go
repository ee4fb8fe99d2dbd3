package netpolicy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCallbackURLAccepts(t *testing.T) {
	tests := []struct {
		raw, want string
	}{
		{"https://example.com/hooks", "https://example.com/hooks"},
		{"http://example.com:8080/a?b=c", "http://example.com:8080/a?b=c"},
		{"HTTPS://Example.com/x", "https://Example.com/x"},
		{"https://example.com/x#frag", "https://example.com/x"}, // fragment stripped
		{"http://10.0.0.1/", "http://10.0.0.1/"},                // syntax only; CheckURL vets addresses
		{"http://[2001:4860::1]:443/", "http://[2001:4860::1]:443/"},
		{"https://example.com./", "https://example.com./"},
		{"https://example.com/" + strings.Repeat("a", MaxURLLength-len("https://example.com/")), ""}, // exactly the limit
	}
	for _, tt := range tests {
		u, err := ParseCallbackURL(tt.raw)
		if err != nil {
			t.Errorf("ParseCallbackURL(%.60q) error = %v, want nil", tt.raw, err)
			continue
		}
		if tt.want != "" && u.String() != tt.want {
			t.Errorf("ParseCallbackURL(%q) = %q, want %q", tt.raw, u.String(), tt.want)
		}
	}
}

func TestParseCallbackURLRejects(t *testing.T) {
	tests := []struct {
		name, raw, reason string
	}{
		{"empty", "", "must be an absolute http or https URL"},
		{"relative", "/hooks", "must be an absolute http or https URL"},
		{"scheme-relative", "//example.com/hooks", "must be an absolute http or https URL"},
		{"ftp", "ftp://example.com/file", "must be an absolute http or https URL"},
		{"javascript", "javascript:alert(1)", "must be an absolute http or https URL"},
		{"opaque", "http:example.com", "must be an absolute http or https URL"},
		{"unparseable", "http://exa mple.com/", "must be an absolute http or https URL"},
		{"control char", "http://example.com/\n", "must be an absolute http or https URL"},
		{"user and password", "https://user:pass@example.com/", "must not contain credentials"},
		{"user only", "https://user@example.com/", "must not contain credentials"},
		{"empty host", "http:///path", "must have a host"},
		{"port only", "http://:8080/", "must have a host"},
		{"port zero", "http://example.com:0/", "port must be between 1 and 65535"},
		{"port too big", "http://example.com:65536/", "port must be between 1 and 65535"},
		{"short IPv4", "http://127.1/", "host must be a DNS name or a standard IP address"},
		{"decimal IPv4", "http://2130706433/", "host must be a DNS name or a standard IP address"},
		{"hex IPv4", "http://0x7f000001/", "host must be a DNS name or a standard IP address"},
		{"octal IPv4", "http://0177.0.0.1/", "host must be a DNS name or a standard IP address"},
		{"too long", "https://example.com/" + strings.Repeat("a", MaxURLLength), "must be at most 2048 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseCallbackURL(tt.raw)
			var ue *URLError
			if !errors.As(err, &ue) {
				t.Fatalf("ParseCallbackURL(%q) = %v, %v; want *URLError", tt.raw, u, err)
			}
			if ue.Reason != tt.reason || err.Error() != tt.reason {
				t.Errorf("reason = %q, want %q", ue.Reason, tt.reason)
			}
		})
	}
}
