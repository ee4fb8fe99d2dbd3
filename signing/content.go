package signing

import "strconv"

// signedContent is the exact byte string the spec signs:
// msgID + "." + unix seconds + "." + body. Signer and verifier share it so
// v1a can never drift from what the library signs for v1.
func signedContent(msgID string, unix int64, body []byte) []byte {
	buf := make([]byte, 0, len(msgID)+1+20+1+len(body))
	buf = append(buf, msgID...)
	buf = append(buf, '.')
	buf = strconv.AppendInt(buf, unix, 10)
	buf = append(buf, '.')
	return append(buf, body...)
}
