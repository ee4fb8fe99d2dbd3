package models

import "testing"

func TestFitText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"héllo", 10, "héllo"},
		{"héllo", 2, "h"},              // é is two bytes: not split
		{"ab\xffcd", 10, "ab\uFFFDcd"}, // invalid bytes replaced
		{"€€", 4, "€"},
	} {
		if got := FitText(tc.in, tc.max); got != tc.want {
			t.Errorf("FitText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
