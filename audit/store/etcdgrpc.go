package store

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"golang.org/x/net/http2"

	"github.com/ajarsec/ajar/audit"
	"github.com/ajarsec/ajar/record"
)

// etcdRangeCountAll is a RangeRequest in protobuf: key "\x00" (field
// 1), range_end "\x00" (field 2), count_only true (field 8), framed as
// one uncompressed gRPC message.
var etcdRangeCountAll = []byte{0, 0, 0, 0, 8, 0x0a, 1, 0, 0x12, 1, 0, 0x40, 1}

// etcdGRPCRange asks the same count-only range over gRPC, in HTTP/2
// without TLS (etcd serves gRPC and HTTP on the client port; the JSON
// gateway is off in a configuration file that does not turn it on). It
// returns the grpc-status and the response message.
func etcdGRPCRange(ctx context.Context, t *audit.Target) (string, []byte, error) {
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) {
			return t.DialPlain(ctx)
		},
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+t.Addr.String()+"/etcdserverpb.KV/Range",
		bytes.NewReader(etcdRangeCountAll))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("TE", "trailers")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return "", nil, fmt.Errorf("gRPC Range: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, replyMax))
	if err != nil {
		return "", nil, fmt.Errorf("gRPC Range: %w", err)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/grpc") {
		return "", nil, audit.ErrNotApplicable
	}
	status := resp.Trailer.Get("Grpc-Status")
	if status == "" {
		status = resp.Header.Get("Grpc-Status") // a trailers-only answer
	}
	return status, body, nil
}

// protoVarint reads a varint.
func protoVarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// JudgeEtcdGRPC judges the gRPC answer to the count-only Range: status
// 0 and a RangeResponse with its header (field 1) means anyone can read
// and write every key. A non-zero status ("etcdserver: user name is
// empty", Unauthenticated) or anything else is not applicable.
func JudgeEtcdGRPC(status string, body []byte) ([]record.Finding, error) {
	if status != "0" || len(body) < 5 || body[0] != 0 || int(binary.BigEndian.Uint32(body[1:])) != len(body)-5 {
		return nil, audit.ErrNotApplicable
	}
	msg := body[5:]
	header, count := false, uint64(0)
	for len(msg) > 0 {
		key, n := protoVarint(msg)
		if n == 0 {
			return nil, audit.ErrNotApplicable
		}
		msg = msg[n:]
		switch key & 7 {
		case 0:
			v, n := protoVarint(msg)
			if n == 0 {
				return nil, audit.ErrNotApplicable
			}
			if key>>3 == 4 {
				count = v
			}
			msg = msg[n:]
		case 2:
			l, n := protoVarint(msg)
			if n == 0 || l > uint64(len(msg)-n) {
				return nil, audit.ErrNotApplicable
			}
			header = header || key>>3 == 1
			msg = msg[n+int(l):]
		default:
			return nil, audit.ErrNotApplicable
		}
	}
	if !header {
		return nil, audit.ErrNotApplicable
	}
	return etcdFinding(fmt.Sprintf("gRPC etcdserverpb.KV/Range (count only, every key) without a token: status 0, %d keys", count)), nil
}
