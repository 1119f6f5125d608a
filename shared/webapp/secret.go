package webapp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadOrCreateSecret reads the hex secret in file, or makes one (32 random
// bytes) and writes it there readable by its owner only, so guest links
// outlive a restart of the local server.
func LoadOrCreateSecret(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err == nil {
		s, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(s) < MinSecretBytes {
			return nil, fmt.Errorf("the app's secret file %s is damaged: delete it (guest links made so far stop working) and start again", filepath.Base(file))
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	s := make([]byte, MinSecretBytes)
	if _, err := rand.Read(s); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(hex.EncodeToString(s)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return s, os.Rename(tmp, file)
}

// SecretFromEnv is the secret of an environment variable's value: hex, or
// the raw string, of at least MinSecretBytes bytes.
func SecretFromEnv(name, value string) ([]byte, error) {
	if b, err := hex.DecodeString(value); err == nil && len(b) >= MinSecretBytes {
		return b, nil
	}
	if len(value) >= MinSecretBytes {
		return []byte(value), nil
	}
	return nil, fmt.Errorf("%s: want at least %d bytes (or %d hex digits)", name, MinSecretBytes, 2*MinSecretBytes)
}
