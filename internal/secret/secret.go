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
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
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

// Exposed reports whether a file of this mode may be read or written by
// users other than its owner. On Windows, where a mode holds only a
// read-only bit, it is always false.
func Exposed(mode fs.FileMode) bool {
	return runtime.GOOS != "windows" && mode.Perm()&0o077 != 0
}

// ExposedError is a key file that other users may read or write and that
// could not be made private.
type ExposedError struct {
	Path string
	Mode fs.FileMode
	Err  error // why it could not be narrowed
}

func (e *ExposedError) Error() string {
	return fmt.Sprintf("secret: the key file %s can be read or written by other users (mode %04o) and could not be made private (%v); fix it with: chmod 600 %s",
		e.Path, e.Mode.Perm(), e.Err, e.Path)
}

func (e *ExposedError) Unwrap() error { return e.Err }

// maxKeyFile bounds what is read of a key file: its text is 45 bytes.
const maxKeyFile = 4096

// Load reads the key file at path, which someone else manages (a Docker
// secret, say): it changes nothing, and returns the file's mode for the
// caller to judge.
func Load(path string) (*Key, fs.FileMode, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("secret: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("secret: %w", err)
	}
	k, err := readKey(f)
	return k, fi.Mode(), err
}

// LoadOrCreate reads the key file at path, or creates it (mode 0600, in a
// directory created 0700 if needed) with a new random key. The file is
// Apartado's own: if other users may read or write it (it was restored
// from a backup, or copied under a loose umask), it is narrowed to the
// owner's bits and its old mode returned as narrowed, for the caller to
// log; if that fails (the file is someone else's), LoadOrCreate fails with
// an *ExposedError naming the file and the command that fixes it.
func LoadOrCreate(path string) (k *Key, narrowed fs.FileMode, err error) {
	return loadOrCreate(path, (*os.File).Chmod)
}

// loadOrCreate is LoadOrCreate with the chmod it narrows a file with, so
// that a test can make it fail.
func loadOrCreate(path string, chmod func(*os.File, fs.FileMode) error) (*Key, fs.FileMode, error) {
	f, err := os.Open(path)
	if err == nil {
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return nil, 0, fmt.Errorf("secret: %w", err)
		}
		var narrowed fs.FileMode
		if mode := fi.Mode().Perm(); Exposed(mode) {
			if err := chmod(f, mode&^0o077); err != nil {
				return nil, 0, &ExposedError{Path: path, Mode: mode, Err: err}
			}
			narrowed = mode
		}
		k, err := readKey(f)
		return k, narrowed, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("secret: %w", err)
	}
	k, err := Generate()
	if err != nil {
		return nil, 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, 0, fmt.Errorf("secret: %w", err)
	}
	err = Create(path, k)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreate(path, chmod) // another process made it first
	}
	if err != nil {
		return nil, 0, err
	}
	return k, 0, nil
}

// Create writes k to a new key file at path (mode 0600, synced); it fails
// with an error wrapping fs.ErrExist when the file exists.
func Create(path string, k *Key) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	if _, err := f.WriteString(k.String() + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("secret: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	return nil
}

// readKey parses the key in an open key file.
func readKey(f *os.File) (*Key, error) {
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return Parse(string(b))
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
