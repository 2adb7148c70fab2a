//go:build !linux

package watch

import "errors"

type destroyWatch struct{ C <-chan struct{} }

func subscribeDestroy(string) (*destroyWatch, error) {
	return nil, errors.ErrUnsupported
}

func (*destroyWatch) Close() error { return nil }
