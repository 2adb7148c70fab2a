package all_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"net"
	"testing"
	"time"

	"github.com/ajarsec/ajar/fingerprint"
	"github.com/ajarsec/ajar/fingerprint/fptest"
	"github.com/ajarsec/ajar/portspec"
)

// deviceAnswers are answers of the protocols of more_devices.go that do
// not depend on the request (our request ids are fixed), each from its
// package's tests: a server that gives one of them to whatever it is
// asked must be named by that protocol's plugin only.
func deviceAnswers(t *testing.T) map[string][]byte {
	t.Helper()
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	enip := unhex("630000000000000000000000616a617200000001000000000100" +
		"0c00340001000200af12c0a80149000000000000000064010c0004000301340021d720f41246414e554320526f626f742052333069422bff")
	binary.LittleEndian.PutUint16(enip[2:], uint16(len(enip)-24))
	js := `{"version":{"name":"1.19.3","protocol":761},"players":{"max":100,"online":5}}`
	mc := append([]byte{0x00, byte(len(js))}, js...)
	return map[string][]byte{
		"modbus":     []byte("\x61\x6a\x00\x00\x00\x03\xff\xab\x01"),
		"enip":       enip,
		"dnp3":       unhex("0564050B0100D204AD34"),
		"jetdirect":  []byte("@PJL INFO ID\r\n\"HP LaserJet 4250\"\r\n\f"),
		"minecraft":  append([]byte{byte(len(mc))}, mc...),
		"iec-104":    []byte("\x68\x04\x83\x00\x00\x00"),
		"omron-fins": unhex("46494e53000000100000000100000000000000fb00000021"),
		"openvpn":    unhex("001a40d306516420ab51540100000000616a61722d6f767000000000"),
		"lpd":        []byte("no entries\n"),
		"finger": []byte("Login: root           \t\t\tName: root\r\nDirectory: /root                    \tShell: /bin/bash\r\n" +
			"Never logged in.\r\nNo mail.\r\nNo Plan.\r\n"),
		"spice": unhex("524544510200000002000000ba00000000000000" +
			"30819f300d06092a864886f70d010101050003818d0030818902818100" +
			"b9a1d7076ec16f272abf3b865c60f9a3bd07511fdc3c8c28dd7b2fc9c0d62d731a8c7ccaca6745952581876c5accc35febd445e58805e7" +
			"8dfa0786929cc2bb3b08f34af3853427987aeb4a700590af73ab90835d86bd1bd53eee119f259deb1fdbf94bfd761c10a92a3e822c7ffbe8" +
			"fbce5ee1d06cf98b125f40712cbfd7ffed0203010001" + "0100000001000000b20000000b00000009000000"),
	}
}

// TestDeviceAnswersNameOnce runs the whole identification, every plugin
// compiled in, against servers that give one device, printer, legacy or
// remote access protocol's answer to whatever they are asked, and close
// after it (as finger and lpd do): only that protocol's plugin may name
// the service.
func TestDeviceAnswersNameOnce(t *testing.T) {
	cfg := fingerprint.Config{Timeout: 15 * time.Second, ProbeTimeout: 700 * time.Millisecond, BannerWait: 300 * time.Millisecond}
	for want, ans := range deviceAnswers(t) {
		t.Run(want, func(t *testing.T) {
			t.Parallel()
			addr := fptest.Serve(t, func(c net.Conn) {
				c.SetReadDeadline(time.Now().Add(3 * time.Second))
				if n, _ := c.Read(make([]byte, 4096)); n > 0 {
					c.Write(ans)
					time.Sleep(300 * time.Millisecond)
				}
			})
			svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
			if err != nil || svc.Name != want {
				t.Errorf("named %+v, %v; want %s", svc, err, want)
			}
		})
	}
}

// plcServer plays the snap7 server's frames (package s7comm's tests): it
// confirms any COTP connection, acknowledges a setup job and answers an
// SZL read, each with the request's PDU reference, and drops whatever is
// not a TPKT packet, as a PLC does.
func plcServer(t *testing.T) func(net.Conn) {
	cc, _ := hex.DecodeString("0300001611d00001000100c0010ac1020100c2020101")
	setup, _ := hex.DecodeString("0300001b02f080320300000000000800000000f0000001000101e0")
	szl, _ := hex.DecodeString("0300009902f080320700000f00000c007c000112081284010000000000ff09007800110000001c0004" +
		"000136455337203331352d32454831342d304142302000c00004000100063645533720333135" +
		"2d32454831342d304142302000c0000400010007202020202020202020202020202020202020" +
		"202000c0560302060081426f6f74204c6f61646572202020202020202020000041200909")
	return func(c net.Conn) {
		buf := make([]byte, 512)
		for {
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			n, err := c.Read(buf)
			if err != nil || n < 13 || buf[0] != 3 || buf[1] != 0 {
				return
			}
			var out []byte
			switch {
			case buf[5] == 0xe0:
				out = cc
			case buf[7] == 0x32 && buf[8] == 1:
				out = append([]byte(nil), setup...)
			case buf[7] == 0x32 && buf[8] == 7:
				out = append([]byte(nil), szl...)
			default:
				return
			}
			if buf[5] != 0xe0 {
				out[11], out[12] = buf[11], buf[12]
			}
			c.Write(out)
		}
	}
}

// TestIdentifyPLCElsewhere runs the whole identification against an S7
// PLC on a port that is not 102: S7comm names it, with its firmware, and
// RDP, whose X.224 request it also confirms, does not.
func TestIdentifyPLCElsewhere(t *testing.T) {
	cfg := fingerprint.Config{Timeout: 15 * time.Second, ProbeTimeout: 700 * time.Millisecond, BannerWait: 300 * time.Millisecond}
	addr := fptest.Serve(t, plcServer(t))
	svc, err := cfg.Identify(context.Background(), fingerprint.Target{Addr: addr, Proto: portspec.TCP})
	if err != nil || svc.Name != "s7comm" || svc.Version != "3.2.6" {
		t.Errorf("named %+v, %v; want s7comm 3.2.6", svc, err)
	}
}
