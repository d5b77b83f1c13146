package pushtest

import (
	"crypto/ecdh"
	"encoding/base64"
	"testing"
)

// TestDecryptRFC8291Example: the receiver opens the example of RFC 8291
// section 5 (its keys in appendix A), so that it can judge another
// sender's pushes.
func TestDecryptRFC8291Example(t *testing.T) {
	dec := base64.RawURLEncoding
	priv, err := dec.DecodeString("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94")
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if got := dec.EncodeToString(key.PublicKey().Bytes()); got != "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4" {
		t.Fatalf("ua_public %s", got)
	}
	auth, _ := dec.DecodeString("BTBZMqHH6r4Tts7J_aSIgg")
	body, _ := dec.DecodeString("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")
	b := &Browser{Key: key, Auth: auth}
	plain, err := b.Decrypt(body)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != "When I grow up, I want to be a watermelon" {
		t.Fatalf("plaintext %q", plain)
	}
	// A flipped bit anywhere fails.
	body[len(body)-1] ^= 1
	if _, err := b.Decrypt(body); err == nil {
		t.Fatal("a damaged body decrypted")
	}
}
