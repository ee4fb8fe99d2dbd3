package keyfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateKeepsTheFirstSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "token")
	first, created, err := LoadOrCreate(path, func() (string, error) { return RandomToken(32) })
	if err != nil || !created || len(first) < 40 {
		t.Fatalf("first call: %q created=%v err=%v", first, created, err)
	}
	again, created, err := LoadOrCreate(path, func() (string, error) { return "other", nil })
	if err != nil || created || again != first {
		t.Fatalf("second call returned %q created=%v err=%v, want %q", again, created, err, first)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v err %v, want 0600", info.Mode().Perm(), err)
	}
}

func TestRandomTokenIsRandom(t *testing.T) {
	a, _ := RandomToken(16)
	b, _ := RandomToken(16)
	if a == b || len(a) != 22 {
		t.Fatalf("tokens %q and %q", a, b)
	}
}
