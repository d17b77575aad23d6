// Package wecom is hazardbot's only code that speaks WeCom: it verifies,
// decrypts and parses the callbacks WeCom posts (crypto.go, callback.go),
// seals the passive replies that go back in the callback's response, and
// calls the WeCom API for everything sent to anyone else. Everything above
// it sees only bot.Message, bot.Reply and bot.Outgoing.
package wecom

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/silenceper/wechat/v2/util"
)

// Callback errors. Every error from the callback side wraps exactly one of
// ErrBadSignature or ErrBadRequest, so the HTTP layer can answer 403 or 400
// with errors.Is. None of them ever carries the token, the AES key or a
// decrypted payload.
var (
	// ErrBadSignature means msg_signature does not match the token,
	// timestamp, nonce and payload: the request did not come from WeCom
	// (or was altered on the way).
	ErrBadSignature = errors.New("wecom: callback signature mismatch")

	// ErrBadRequest means the request is signed correctly or cannot be
	// checked at all, but is malformed: missing fields, bad XML, a DOCTYPE,
	// an oversized body.
	ErrBadRequest = errors.New("wecom: bad callback request")

	// ErrBadCiphertext means the encrypted payload does not decrypt to a
	// well-formed WeCom plaintext (base64, block length, padding or inner
	// length is wrong). It wraps ErrBadRequest.
	ErrBadCiphertext = fmt.Errorf("%w: undecryptable payload", ErrBadRequest)

	// ErrWrongCorp means the payload decrypted but was addressed to another
	// corp (its receive id is not our CorpID). It wraps ErrBadRequest.
	ErrWrongCorp = fmt.Errorf("%w: payload is for another corp", ErrBadRequest)

	// ErrStale means a correctly signed callback's timestamp or its
	// message's CreateTime is outside the accepted window: a captured
	// request posted again later (see Admit). It wraps ErrBadRequest.
	ErrStale = fmt.Errorf("%w: outside the callback time window", ErrBadRequest)

	// ErrWrongAgent means a correctly signed callback carries a message for
	// another app of the corp (its inner AgentID is not ours). It wraps
	// ErrBadRequest.
	ErrWrongAgent = fmt.Errorf("%w: message is for another app", ErrBadRequest)
)

// pkcs7Block is the block size WeCom pads its plaintext to. It is not the
// AES block size (16): WeCom pads to 32, so a pad byte may be 1..32.
const pkcs7Block = 32

// Crypto verifies, decrypts and encrypts WeCom callback payloads for one
// app ("接收消息服务器配置": Token, EncodingAESKey, and the CorpID). It is
// safe for concurrent use. Its String method hides the token and the key,
// so a Crypto can be printed without leaking them.
type Crypto struct {
	token  string
	corpID string
	key    []byte // 32 bytes, decoded EncodingAESKey
	block  cipher.Block
}

// NewCrypto checks the callback settings and returns a Crypto for them.
// encodingAESKey must be the 43-character base64 string WeCom shows; the
// error names the setting that is wrong but never prints its value.
func NewCrypto(token, encodingAESKey, corpID string) (*Crypto, error) {
	if token == "" {
		return nil, errors.New("wecom: callback Token is empty")
	}
	if corpID == "" {
		return nil, errors.New("wecom: CorpID is empty")
	}
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("wecom: EncodingAESKey must be 43 characters, got %d", len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		// err would quote the offending input byte; keep it out.
		return nil, errors.New("wecom: EncodingAESKey is not valid base64 of 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errors.New("wecom: EncodingAESKey rejected by AES")
	}
	return &Crypto{token: token, corpID: corpID, key: key, block: block}, nil
}

// CorpID returns the corp this Crypto seals for and accepts payloads of.
func (c *Crypto) CorpID() string { return c.corpID }

// String describes c without its secrets.
func (c *Crypto) String() string { return "wecom.Crypto{corp: " + c.corpID + "}" }

// GoString hides the secrets from %#v as well.
func (c *Crypto) GoString() string { return c.String() }

// signature is WeCom's msg_signature: sha1 over the sorted token,
// timestamp, nonce and payload, in lower-case hex.
func (c *Crypto) signature(timestamp, nonce, payload string) string {
	return util.Signature(c.token, timestamp, nonce, payload)
}

// verify compares msgSignature with the expected one in constant time, so
// the time taken does not tell an attacker how many bytes were right.
func (c *Crypto) verify(msgSignature, timestamp, nonce, payload string) error {
	want := c.signature(timestamp, nonce, payload)
	if subtle.ConstantTimeCompare([]byte(msgSignature), []byte(want)) != 1 {
		return ErrBadSignature
	}
	return nil
}

// VerifyURL answers WeCom's GET URL verification: it checks msg_signature
// over echostr, decrypts echostr and returns the plaintext that must be
// written back as the response body.
func (c *Crypto) VerifyURL(msgSignature, timestamp, nonce, echostr string) (string, error) {
	if echostr == "" {
		return "", fmt.Errorf("%w: echostr is empty", ErrBadRequest)
	}
	if err := c.verify(msgSignature, timestamp, nonce, echostr); err != nil {
		return "", err
	}
	msg, err := c.decrypt(echostr)
	if err != nil {
		return "", err
	}
	return string(msg), nil
}

// encrypt returns base64(AES-256-CBC(random16 | len32 | msg | corpID |
// PKCS#7 pad to 32)). Encryption only ever sees our own, well-formed input,
// so util.AESEncryptMsg is used as it is.
func (c *Crypto) encrypt(msg []byte) string {
	var random [16]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never fails (it crashes the program instead).
	ct := util.AESEncryptMsg(random[:], msg, c.corpID, c.key)
	return base64.StdEncoding.EncodeToString(ct)
}

// decrypt reverses encrypt and checks the receive id against our CorpID.
//
// It does not use util.DecryptMsg/AESDecryptMsg because that code leans on
// recover() for safety and is not safe on its own: on 32-bit platforms
// 20+msgLen overflows int for a crafted length field and the slice
// expression panics (DecryptMsg turns that into an error only through its
// recover); it checks just the last padding byte, not all of them; and it
// returns untyped strings the HTTP layer cannot classify. Every bound here
// is checked before it is used, so crafted input yields an error, never a
// panic.
func (c *Crypto) decrypt(payload string) ([]byte, error) {
	if payload == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadCiphertext)
	}
	ct, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrBadCiphertext)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: length %d is not a positive multiple of %d", ErrBadCiphertext, len(ct), aes.BlockSize)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c.block, c.key[:aes.BlockSize]).CryptBlocks(pt, ct)

	// PKCS#7 with a 32-byte block: every pad byte equals the pad length.
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > pkcs7Block || pad > len(pt) {
		return nil, fmt.Errorf("%w: bad padding", ErrBadCiphertext)
	}
	for _, b := range pt[len(pt)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrBadCiphertext)
		}
	}
	pt = pt[:len(pt)-pad]

	// random(16) | msg_len(4, big endian) | msg | receiveid
	if len(pt) < 20 {
		return nil, fmt.Errorf("%w: plaintext too short", ErrBadCiphertext)
	}
	n := binary.BigEndian.Uint32(pt[16:20])
	if uint64(n) > uint64(len(pt)-20) { // compared in 64 bits: no overflow on 32-bit int
		return nil, fmt.Errorf("%w: message length exceeds plaintext", ErrBadCiphertext)
	}
	msg, receiveID := pt[20:20+int(n)], pt[20+int(n):]
	if string(receiveID) != c.corpID {
		return nil, ErrWrongCorp
	}
	return msg, nil
}
