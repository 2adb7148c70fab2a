package syn

import (
	"testing"
	"unsafe"
)

// Every engine slot of a SYN scan owns a worker (25,000 of them by
// default, while a silent host's ports wait out their timeouts), and the
// late table holds lateSize entries: their bytes are the scan's memory.
// Before the answers' addresses and the worker's copies of its
// destination were dropped, a worker was 376 bytes and an entry 104.
func TestWorkerBytes(t *testing.T) {
	if n := unsafe.Sizeof(worker{}); n > 256 {
		t.Errorf("a worker is %d bytes, want at most 256", n)
	}
	if n := unsafe.Sizeof(lateEntry{}); n > 72 {
		t.Errorf("a late-table entry is %d bytes, want at most 72", n)
	}
}
