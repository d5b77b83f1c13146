// Package secret holds Apartado's secret key and seals small secrets (POP3
// passwords) with it: AES-256-GCM with a random nonce, bound to the row they
// belong to by additional data, so a sealed password copied onto another
// account does not open. It also derives the keys for cookies.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of the secret key in bytes.
const KeySize = 32

// Key is the secret key.
type Key struct {
	raw  [KeySize]byte
	aead cipher.AEAD
}

// ErrOpen means a sealed value could not be opened: the key changed, or the
// value was damaged or moved.
var ErrOpen = errors.New("secret: cannot decrypt (was the secret key changed?)")

// Parse reads a key from its text form: 32 bytes in standard or URL-safe
// base64 (with or without padding), or 64 hex digits.
func Parse(text string) (*Key, error) {
	text = strings.TrimSpace(text)
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(text); err == nil && len(raw) == KeySize {
			return newKey(raw)
		}
	}
	if len(text) == 2*KeySize {
		raw = make([]byte, KeySize)
		if _, err := fmt.Sscanf(text, "%x", &raw); err == nil && len(raw) == KeySize {
			return newKey(raw)
		}
	}
	return nil, errors.New("secret: the key must be 32 bytes, base64 or hex encoded (generate one with: openssl rand -base64 32)")
}

func newKey(raw []byte) (*Key, error) {
	k := &Key{}
	copy(k.raw[:], raw)
	block, err := aes.NewCipher(k.raw[:])
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return k, nil
}

// Generate makes a new random key.
func Generate() (*Key, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return newKey(raw)
}

// String returns the key's text form (base64). Handle with care.
func (k *Key) String() string { return base64.StdEncoding.EncodeToString(k.raw[:]) }

// LoadOrCreate reads the key file at path, or creates it (mode 0600, in a
// directory created 0700 if needed) with a new random key.
func LoadOrCreate(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("secret: %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
		}
		return Parse(string(b))
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("secret: %w", err)
	}
	k, err := Generate()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadOrCreate(path) // another process made it first
	}
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	if _, err := f.WriteString(k.String() + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return k, nil
}

// Seal encrypts plaintext, binding it to context (for example
// "account-password"); the result is nonce || ciphertext || tag.
func (k *Key) Seal(plaintext []byte, context string) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return k.aead.Seal(nonce, nonce, plaintext, []byte(context)), nil
}

// Open decrypts what Seal returned for the same context.
func (k *Key) Open(sealed []byte, context string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, ErrOpen
	}
	out, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// Derive returns a subkey of size bytes for purpose (HKDF-SHA256), so that
// cookie signing and encryption never reuse the sealing key itself.
func (k *Key) Derive(purpose string, size int) []byte {
	out, err := hkdf.Key(sha256.New, k.raw[:], nil, "apartado "+purpose, size)
	if err != nil {
		panic("secret: hkdf: " + err.Error()) // only for sizes over 255*32 bytes
	}
	return out
}
