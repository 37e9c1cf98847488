//go:build unix

package batch

import (
	"io/fs"
	"sync"
	"syscall"
)

// readBufs holds the buffers that readFile reads into.
var readBufs = sync.Pool{New: func() any { return new([readBufSize]byte) }}

// readBufSize is the size of readFile's buffer: files up to this size are
// read with one read (and one more that finds the end).
const readBufSize = 64 << 10

// readFile returns the content of the file name, as os.ReadFile does, with
// fewer system calls and allocations: open, reads into a pooled buffer,
// close, without the file's registration with the runtime's poller (which
// a regular file refuses, at the cost of a system call) or a stat for its
// size. On small files this halves the time of os.ReadFile.
func readFile(name string) ([]byte, error) {
	fd, err := openRead(name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	buf := readBufs.Get().(*[readBufSize]byte)
	defer readBufs.Put(buf)
	var data []byte // when the file is larger than buf
	n := 0
	for {
		if n == len(buf) {
			data = append(data, buf[:n]...)
			n = 0
		}
		m, err := syscall.Read(fd, buf[n:])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		case m == 0:
			if data == nil {
				// A copy of the size of the file.
				return append([]byte(nil), buf[:n]...), nil
			}
			return append(data, buf[:n]...), nil
		}
		n += m
	}
}

// openRead opens name for reading, retrying when interrupted.
func openRead(name string) (int, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
