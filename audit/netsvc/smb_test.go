package netsvc

import (
	"encoding/binary"
	"testing"
)

// smb1Response is an SMB1 NEGOTIATE response picking dialect index idx.
func smb1Response(idx uint16, status uint32) []byte {
	b := make([]byte, 32, 80)
	copy(b, "\xffSMB")
	b[4] = 0x72
	binary.LittleEndian.PutUint32(b[5:], status)
	b = append(b, 17)
	b = binary.LittleEndian.AppendUint16(b, idx)
	b = append(b, 0x03) // user level, challenge/response
	return append(b, make([]byte, 40)...)
}

// smb2Response is an SMB2 NEGOTIATE response with a security mode.
func smb2Response(mode, dialect uint16) []byte {
	b := make([]byte, 64, 200)
	copy(b, "\xfeSMB")
	binary.LittleEndian.PutUint16(b[4:], 64)
	body := make([]byte, 64)
	binary.LittleEndian.PutUint16(body, 65)
	binary.LittleEndian.PutUint16(body[2:], mode)
	binary.LittleEndian.PutUint16(body[4:], dialect)
	return append(b, body...)
}

func TestJudgeSMB(t *testing.T) {
	for name, tc := range map[string]struct {
		b    []byte
		v1   bool
		want string
	}{
		"smb1 on":          {smb1Response(0, 0), true, "smb-v1-enabled/medium confirmed"},
		"smb1 no dialect":  {smb1Response(0xffff, 0), true, "n/a"},
		"smb1 error":       {smb1Response(0, 0xc0000002), true, "n/a"},
		"smb2 to smb1":     {smb2Response(1, 0x02ff), true, "n/a"},
		"signing enabled":  {smb2Response(0x01, 0x0302), false, "smb-signing-not-required/medium confirmed"},
		"signing required": {smb2Response(0x03, 0x0302), false, "n/a"},
		"smb1 to smb2":     {smb1Response(0, 0), false, "n/a"},
		"short":            {smb2Response(0x01, 0x0302)[:60], false, "n/a"},
		"nothing":          {nil, false, "n/a"},
	} {
		j := JudgeSMB2Signing
		if tc.v1 {
			j = JudgeSMB1
		}
		if got := judged(j(tc.b)); got != tc.want {
			t.Errorf("%s: %s, want %s", name, got, tc.want)
		}
	}
	if r := Negotiate2Request(); len(r) != 64+36+8 || string(r[:4]) != "\xfeSMB" {
		t.Errorf("Negotiate2Request % x", r)
	}
	if r := Negotiate1Request(); string(r[len(r)-11:]) != "NT LM 0.12\x00" {
		t.Errorf("Negotiate1Request % x", r)
	}
}

func FuzzJudgeSMB(f *testing.F) {
	f.Add(smb1Response(0, 0))
	f.Add(smb2Response(1, 0x0302))
	f.Fuzz(func(t *testing.T, b []byte) {
		JudgeSMB1(b)
		JudgeSMB2Signing(b)
		nbWhole(b)
	})
}
