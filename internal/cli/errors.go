package cli

import (
	"errors"

	"github.com/ajarsec/ajar/sockets"
)

func errorsIsNoNetns(err error) bool { return errors.Is(err, sockets.ErrNoNetns) }
