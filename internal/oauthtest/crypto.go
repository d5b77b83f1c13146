package oauthtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
)

// gcmCrypto seals the library's opaque values (access tokens, which carry
// "tokenID:subject", and authorization codes) with AES-256-GCM in a compact
// form: base64url(nonce || ciphertext || tag), about 70 characters for an
// access token. The library's default is a JWE of about 250, which would
// never fit on a POP3 "AUTH XOAUTH2 <initial response>" line.
type gcmCrypto struct{ aead cipher.AEAD }

func newGCMCrypto() (*gcmCrypto, error) {
	var key [32]byte
	rand.Read(key[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &gcmCrypto{aead}, nil
}

func (c *gcmCrypto) Encrypt(s string) (string, error) {
	nonce := make([]byte, c.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, []byte(s), nil)), nil
}

func (c *gcmCrypto) Decrypt(s string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < c.aead.NonceSize() {
		return "", errors.New("not a token of this provider")
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("not a token of this provider")
	}
	return string(plain), nil
}
