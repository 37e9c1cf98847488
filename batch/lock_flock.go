//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package batch

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errLocked is the error of lock for a file that another process holds.
var errLocked = errors.New("in use by another run")

// lock takes an exclusive advisory lock on f, released when f is closed,
// or fails with errLocked at once if another open file holds one.
func lock(f *os.File) error {
	err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return errLocked
	}
	return err
}
