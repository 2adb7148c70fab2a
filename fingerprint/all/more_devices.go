package all

// Devices and industry, printers, legacy services, remote access and
// media.
import (
	_ "github.com/ajarsec/ajar/fingerprint/citrix"
	_ "github.com/ajarsec/ajar/fingerprint/dnp3"
	_ "github.com/ajarsec/ajar/fingerprint/enip"
	_ "github.com/ajarsec/ajar/fingerprint/finger"
	_ "github.com/ajarsec/ajar/fingerprint/fins"
	_ "github.com/ajarsec/ajar/fingerprint/iec104"
	_ "github.com/ajarsec/ajar/fingerprint/jetdirect"
	_ "github.com/ajarsec/ajar/fingerprint/lpd"
	_ "github.com/ajarsec/ajar/fingerprint/minecraft"
	_ "github.com/ajarsec/ajar/fingerprint/modbus"
	_ "github.com/ajarsec/ajar/fingerprint/openvpntcp"
	_ "github.com/ajarsec/ajar/fingerprint/rtmp"
	_ "github.com/ajarsec/ajar/fingerprint/s7comm"
	_ "github.com/ajarsec/ajar/fingerprint/spice"
	_ "github.com/ajarsec/ajar/fingerprint/teamspeak"
)
