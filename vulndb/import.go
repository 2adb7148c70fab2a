package vulndb

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// maxRecord bounds one JSON record read whole (a CVE5 or OSV record, the
// KEV catalog).
const maxRecord = 64 << 20

// maxDepth bounds archives within archives.
const maxDepth = 4

// ImportFile loads a file of any format the database reads: NVD API 2.0
// JSON, a CVE5 record, the KEV catalog, the EPSS CSV, an OSV record, each
// plain or gzipped, or a zip or tar of any of them (the cvelistV5
// release, OSV's all.zip, a bundle carried to an air-gapped host).
func (im *Importer) ImportFile(ctx context.Context, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := im.importStream(ctx, path.Base(name), f, 0); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ImportReader loads one stream, as ImportFile loads a file; name is only
// for messages.
func (im *Importer) ImportReader(ctx context.Context, name string, r io.Reader) error {
	if err := im.importStream(ctx, name, r, 0); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// ErrUnknownFormat is returned for a file none of the readers knows.
var ErrUnknownFormat = errors.New("not a format the vulnerability database reads (NVD 2.0 JSON, CVE5, KEV, EPSS CSV, OSV, or a zip, tar or gzip of them)")

func (im *Importer) importStream(ctx context.Context, name string, r io.Reader, depth int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if depth > maxDepth {
		return errors.New("archives nested too deep")
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		return im.importStream(ctx, strings.TrimSuffix(name, ".gz"), zr, depth+1)
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return im.importZip(ctx, r, br, depth)
	case len(head) > 262 && string(head[257:262]) == "ustar":
		return im.importTar(ctx, br, depth)
	}
	return im.importDoc(name, br, head)
}

// importDoc reads one document, its format told by its first bytes.
func (im *Importer) importDoc(name string, br *bufio.Reader, head []byte) error {
	t := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	switch {
	case bytes.HasPrefix(t, []byte("#model_version")) || bytes.HasPrefix(t, []byte("cve,epss")):
		return im.epss(br)
	case !bytes.HasPrefix(t, []byte("{")):
		return ErrUnknownFormat
	case bytes.Contains(head, []byte(`"catalogVersion"`)):
		return im.kev(br)
	case bytes.Contains(head, []byte(`"cveMetadata"`)):
		b, err := readAll(br)
		if err != nil {
			return err
		}
		return im.cve5(b)
	case bytes.Contains(head, []byte(`"vulnerabilities"`)):
		return im.nvd(br)
	case bytes.Contains(head, []byte(`"affected"`)) || bytes.Contains(head, []byte(`"schema_version"`)):
		b, err := readAll(br)
		if err != nil {
			return err
		}
		return im.osv(b)
	}
	return ErrUnknownFormat
}

func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxRecord+1))
	if err == nil && len(b) > maxRecord {
		err = fmt.Errorf("a record over %d MB", maxRecord>>20)
	}
	return b, err
}

// importZip reads every file of a zip archive; one that is not a file on
// disk is first copied to a temporary file.
func (im *Importer) importZip(ctx context.Context, orig io.Reader, br *bufio.Reader, depth int) error {
	var ra io.ReaderAt
	var size int64
	if f, ok := orig.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			ra, size = f, st.Size()
		}
	}
	if ra == nil {
		tmp, err := os.CreateTemp("", "ajar-vulndb-*.zip")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if size, err = io.Copy(tmp, br); err != nil {
			return err
		}
		ra = tmp
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return err
	}
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || skipEntry(zf.Name) {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s: %w", zf.Name, err)
		}
		err = im.importStream(ctx, zf.Name, rc, depth+1)
		rc.Close()
		if err != nil && !errors.Is(err, ErrUnknownFormat) {
			return fmt.Errorf("%s: %w", zf.Name, err)
		}
	}
	return nil
}

func (im *Importer) importTar(ctx context.Context, r io.Reader, depth int) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg || skipEntry(h.Name) {
			continue
		}
		if err := im.importStream(ctx, h.Name, tr, depth+1); err != nil && !errors.Is(err, ErrUnknownFormat) {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
	}
}

// skipEntry reports archive members that are not data: READMEs, the
// cvelistV5 delta logs, macOS resource forks.
func skipEntry(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(base, ".") || strings.HasPrefix(name, "__MACOSX/") ||
		strings.HasPrefix(base, "delta") || strings.EqualFold(path.Ext(base), ".md")
}
