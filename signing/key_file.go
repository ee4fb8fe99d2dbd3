package signing

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadOrCreateKeyPair reads the key from path (the file holds
// SecretKeyString), or generates one and writes it with mode 0600 (creating
// the directory 0700) if the file is missing. An unreadable or invalid file
// is an error, never overwritten: replacing a key would silently break every
// receiver that pinned the old public key.
func LoadOrCreateKeyPair(path string) (KeyPair, error) {
	k, err := loadKeyPair(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = GenerateKeyPair()
	if err != nil {
		return KeyPair{}, err
	}
	if err := writeNewKeyFile(path, []byte(k.SecretKeyString()+"\n")); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process created it first: use theirs
			return loadKeyPair(path)
		}
		return KeyPair{}, err
	}
	return k, nil
}

func loadKeyPair(path string) (KeyPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return KeyPair{}, err // keep fs.ErrNotExist visible to the caller
	}
	k, err := ParseSecretKey(string(data))
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing: key file %s: %w", path, err)
	}
	return k, nil
}

// writeNewKeyFile writes data to a temp file and hard-links it into place,
// so readers never see a half-written key and a concurrent creator is never
// clobbered (the link fails with fs.ErrExist instead).
func writeNewKeyFile(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("signing: create key dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".signing-key-*")
	if err != nil {
		return fmt.Errorf("signing: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer func() {
		if cerr := tmp.Close(); cerr != nil && err == nil && !errors.Is(cerr, os.ErrClosed) {
			err = cerr
		}
	}()
	if err := tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("signing: chmod key file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("signing: write key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("signing: sync key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("signing: close key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("signing: install key file: %w", err)
	}
	return nil
}
