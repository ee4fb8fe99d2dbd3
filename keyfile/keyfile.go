// Package keyfile keeps generated secrets (API token, tracking key, signing
// key) in the data directory, so a restart reuses them.
package keyfile

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreate returns the secret stored at path, or stores and returns a
// new one from generate when the file does not exist. The file is 0600 in a
// 0700 directory. created reports whether generate's secret was stored. An
// existing file is never overwritten, even if the caller finds it invalid:
// replacing a key silently breaks everyone who holds the old one.
func LoadOrCreate(path string, generate func() (string, error)) (secret string, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(data)), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	secret, err = generate()
	if err != nil {
		return "", false, err
	}
	err = writeNew(path, []byte(secret+"\n"))
	if errors.Is(err, fs.ErrExist) { // another process won the race: use its secret
		secret, _, err = LoadOrCreate(path, generate)
		return secret, false, err
	}
	if err != nil {
		return "", false, err
	}
	return secret, true, nil
}

// writeNew writes data to a temp file and hard-links it into place, so
// readers never see a half-written secret and a concurrent creator is never
// clobbered (the link fails with fs.ErrExist instead).
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Link(tmp.Name(), path)
}

// RandomToken returns n random bytes, URL-safe base64 encoded without padding.
func RandomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
