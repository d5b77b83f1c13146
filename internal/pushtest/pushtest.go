// Package pushtest is a push service for tests, on loopback: it plays
// both the push service (RFC 8030), which checks each push's VAPID
// authorization (RFC 8292: an ES256-signed JWT whose aud, exp and sub it
// verifies), and the browser, which holds a subscription's private key and
// decrypts the aes128gcm body (RFC 8291). It is written from the RFCs, not
// from the library Apartado sends with, so that the two check each other.
package pushtest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Browser is a subscription's private side: the P-256 key pair and the
// authentication secret a browser makes when it subscribes.
type Browser struct {
	Key  *ecdh.PrivateKey
	Auth []byte
}

// NewBrowser makes a browser's keys.
func NewBrowser() (*Browser, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	auth := make([]byte, 16)
	if _, err := rand.Read(auth); err != nil {
		return nil, err
	}
	return &Browser{Key: k, Auth: auth}, nil
}

// P256dh is the public key as PushSubscription.toJSON() gives it.
func (b *Browser) P256dh() string {
	return base64.RawURLEncoding.EncodeToString(b.Key.PublicKey().Bytes())
}

// AuthSecret is the authentication secret as toJSON() gives it.
func (b *Browser) AuthSecret() string { return base64.RawURLEncoding.EncodeToString(b.Auth) }

// Decrypt opens an aes128gcm push body (RFC 8188 section 2, with the
// keys of RFC 8291 section 3.4) and returns the plaintext without its
// padding. It accepts a single record, as RFC 8291 section 4 requires.
func (b *Browser) Decrypt(body []byte) ([]byte, error) {
	// The header: salt (16), record size (4), key id length (1), key id
	// (the application server's one-time public key, 65 bytes).
	if len(body) < 21 {
		return nil, errors.New("aes128gcm: body shorter than its header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("aes128gcm: key id of %d bytes, want an uncompressed P-256 point (65)", idlen)
	}
	asPublic := body[21 : 21+idlen]
	ciphertext := body[21+idlen:]
	if rs < 18 || uint32(len(ciphertext)) > rs {
		return nil, fmt.Errorf("aes128gcm: %d bytes of ciphertext in a record size of %d: more than one record", len(ciphertext), rs)
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("aes128gcm: the sender's key: %w", err)
	}
	shared, err := b.Key.ECDH(as)
	if err != nil {
		return nil, err
	}
	// RFC 8291 section 3.3: PRK_key = HMAC(auth_secret, ecdh_secret);
	// IKM = HMAC(PRK_key, "WebPush: info" || 0x00 || ua_public || as_public || 0x01).
	info := append([]byte("WebPush: info\x00"), b.Key.PublicKey().Bytes()...)
	info = append(info, asPublic...)
	ikm, err := hkdf.Key(sha256.New, shared, b.Auth, string(info), 32)
	if err != nil {
		return nil, err
	}
	// RFC 8188 section 2.2 and 2.3: the content encryption key and nonce.
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	// The first (and only) record's sequence number is 0: the nonce as is.
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("aes128gcm: %w", err)
	}
	// Padding: the last record ends with a 0x02 delimiter, then zeros.
	end := len(plain) - 1
	for end >= 0 && plain[end] == 0 {
		end--
	}
	if end < 0 || plain[end] != 2 {
		return nil, errors.New("aes128gcm: no last-record delimiter (0x02) after the content")
	}
	return plain[:end], nil
}

// Claims are the VAPID JWT's claims (RFC 8292 section 2).
type Claims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Sub string `json:"sub"`
}

// VerifyVAPID checks an Authorization header of the "vapid" scheme (RFC
// 8292 section 3): the JWT's header names ES256, its signature verifies
// with the key in k=, its aud is origin, it expires in the future but
// within 24 hours of now, and its sub is a mailto: or https: contact. It
// returns the claims and the public key (base64url, as sent).
func VerifyVAPID(header, origin string, now time.Time) (Claims, string, error) {
	var c Claims
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return c, "", fmt.Errorf("authorization %q is not of the vapid scheme", header)
	}
	var token, key string
	for _, p := range strings.Split(rest, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch name {
		case "t":
			token = value
		case "k":
			key = value
		}
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || key == "" {
		return c, "", fmt.Errorf("vapid: want t=<JWT> and k=<key>, got %q", rest)
	}
	dec := base64.RawURLEncoding
	rawKey, err := dec.DecodeString(key)
	if err != nil {
		return c, "", fmt.Errorf("vapid: k: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), rawKey)
	if err != nil {
		return c, "", fmt.Errorf("vapid: k is not a P-256 key: %w", err)
	}
	var head struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
	}
	if err := decodeJSON(parts[0], &head); err != nil || head.Alg != "ES256" {
		return c, "", fmt.Errorf("vapid: JWT header %+v (%v), want alg ES256", head, err)
	}
	sig, err := dec.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return c, "", fmt.Errorf("vapid: the signature is not 64 bytes of r||s (%v)", err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) {
		return c, "", errors.New("vapid: the JWT's ES256 signature does not verify with k")
	}
	if err := decodeJSON(parts[1], &c); err != nil {
		return c, "", fmt.Errorf("vapid: claims: %w", err)
	}
	switch exp := time.Unix(c.Exp, 0); {
	case c.Aud != origin:
		return c, "", fmt.Errorf("vapid: aud %q, want %q", c.Aud, origin)
	case !exp.After(now):
		return c, "", fmt.Errorf("vapid: expired at %s", exp)
	case exp.After(now.Add(24 * time.Hour)):
		return c, "", fmt.Errorf("vapid: exp %s is more than 24 hours away", exp)
	case !strings.HasPrefix(c.Sub, "mailto:") && !strings.HasPrefix(c.Sub, "https:"):
		return c, "", fmt.Errorf("vapid: sub %q is neither mailto: nor https:", c.Sub)
	}
	return c, key, nil
}

func decodeJSON(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Push is one push the service took in.
type Push struct {
	Path    string // the subscription's, under the server's URL
	Header  http.Header
	Claims  Claims
	Key     string // the VAPID public key it was signed with
	Payload []byte // decrypted
	Err     error  // why it was refused (bad VAPID, undecryptable): the status was 400
}

// Server is the push service on loopback. Each subscription is a path
// (Endpoint) with its Browser, and answers 201 unless told otherwise.
type Server struct {
	*httptest.Server
	Pushes chan Push // every push, as it arrives; buffered

	mu       sync.Mutex
	browsers map[string]*Browser
	status   map[string]int
	hold     map[string]chan struct{}
}

// NewServer starts a push service; Close stops it.
func NewServer() *Server {
	s := &Server{Pushes: make(chan Push, 100), browsers: map[string]*Browser{}, status: map[string]int{},
		hold: map[string]chan struct{}{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Subscribe makes a subscription at path (like "/push/a"), and returns
// its endpoint and browser.
func (s *Server) Subscribe(path string) (string, *Browser, error) {
	b, err := NewBrowser()
	if err != nil {
		return "", nil, err
	}
	s.AddBrowser(path, b)
	return s.URL + path, b, nil
}

// AddBrowser makes path a subscription of b.
func (s *Server) AddBrowser(path string, b *Browser) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.browsers[path] = b
}

// Answer makes the service answer status to pushes to path (404 or 410
// for a subscription that is gone).
func (s *Server) Answer(path string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status[path] = status
}

// Hold makes pushes to path hang, after they are reported on Pushes,
// until release is closed or the sender gives up.
func (s *Server) Hold(path string, release chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold[path] = release
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	b, status, hold := s.browsers[r.URL.Path], s.status[r.URL.Path], s.hold[r.URL.Path]
	s.mu.Unlock()
	p := Push{Path: r.URL.Path, Header: r.Header.Clone()}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	switch {
	case err != nil:
		p.Err = err
	case r.Method != http.MethodPost:
		p.Err = fmt.Errorf("method %s, want POST", r.Method)
	case b == nil:
		status = http.StatusNotFound
	case r.Header.Get("Content-Encoding") != "aes128gcm":
		p.Err = fmt.Errorf("Content-Encoding %q, want aes128gcm", r.Header.Get("Content-Encoding"))
	case r.Header.Get("TTL") == "":
		p.Err = errors.New("no TTL header (RFC 8030 section 5.2)")
	default:
		if _, err := strconv.Atoi(r.Header.Get("TTL")); err != nil {
			p.Err = fmt.Errorf("TTL %q: %w", r.Header.Get("TTL"), err)
			break
		}
		p.Claims, p.Key, p.Err = VerifyVAPID(r.Header.Get("Authorization"), "http://"+r.Host, time.Now())
		if p.Err == nil {
			p.Payload, p.Err = b.Decrypt(body)
		}
	}
	select {
	case s.Pushes <- p:
	case <-r.Context().Done():
		return
	}
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case p.Err != nil:
		http.Error(w, p.Err.Error(), http.StatusBadRequest)
	case status != 0:
		w.WriteHeader(status)
	default:
		w.Header().Set("Location", s.URL+"/message/1")
		w.WriteHeader(http.StatusCreated)
	}
}
