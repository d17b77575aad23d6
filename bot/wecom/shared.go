package wecom

// The WeChat Official Account (bot/wechat) uses the same message crypto as
// WeCom (WXBizMsgCrypt: SHA-1 signature, AES-256-CBC with a 32-byte PKCS#7
// block, the receive id appended — there the app id) and the same XML
// guards. These exports let it share them instead of keeping a copy.

// DecodeXML unmarshals b into v, refusing a DOCTYPE or ENTITY declaration
// and deep nesting; errors wrap ErrBadRequest and never quote the input.
func DecodeXML(b []byte, v any) error { return decodeXML(b, v) }

// Signature is the SHA-1 signature over the sorted token, timestamp, nonce
// and payload.
func (c *Crypto) Signature(timestamp, nonce, payload string) string {
	return c.signature(timestamp, nonce, payload)
}

// Verify checks msgSignature over timestamp, nonce and payload in constant
// time; a mismatch is ErrBadSignature.
func (c *Crypto) Verify(msgSignature, timestamp, nonce, payload string) error {
	return c.verify(msgSignature, timestamp, nonce, payload)
}

// Decrypt opens a base64 payload and checks its receive id against the id
// the Crypto was made with (ErrWrongCorp otherwise).
func (c *Crypto) Decrypt(payload string) ([]byte, error) { return c.decrypt(payload) }

// Encrypt seals msg for the receive id the Crypto was made with.
func (c *Crypto) Encrypt(msg []byte) string { return c.encrypt(msg) }
