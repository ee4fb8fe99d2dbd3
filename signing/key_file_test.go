package signing

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateKeyPairCreatesOnceThenReloads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "signing.key")
	first, err := LoadOrCreateKeyPair(path)
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateKeyPair(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || !again.Private.Equal(first.Private) {
		t.Fatal("second load returned a different key")
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v err %v, want 0600", info.Mode().Perm(), err)
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("key dir mode %v err %v, want 0700", info.Mode().Perm(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

func TestLoadOrCreateKeyPairKeepsAnInvalidFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKeyPair(path); err == nil {
		t.Fatal("want an error for an invalid key file")
	}
	if b, _ := os.ReadFile(path); string(b) != "garbage" {
		t.Fatalf("invalid key file was overwritten: %q", b)
	}
}
