package batch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Input is one input named by a Source.
type Input struct {
	// Name identifies the input in the records and when resuming: for a
	// file, its path as the source gives it (not made absolute, so a
	// resumed run must name the inputs the same way).
	Name string
	// Read, if not nil, returns the content of the input; otherwise the
	// file Name is read. A source of messages sets it to return the
	// message's bytes.
	Read func() ([]byte, error)
}

// load returns the content of the input.
func (in *Input) load() ([]byte, error) {
	if in.Read != nil {
		return in.Read()
	}
	return readFile(in.Name)
}

// Source names the inputs of a run, in input order.
type Source interface {
	// Next returns the next input, or io.EOF after the last one. Any other
	// error stops the run (inputs that cannot be read are not errors of
	// the source: they are given as inputs, whose reading then fails and
	// is recorded). Next must return when ctx is cancelled.
	Next(ctx context.Context) (Input, error)
}

// ImageExtensions are the file name extensions (lower case) that DirSource
// takes.
var ImageExtensions = []string{".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp"}

// hasImageExtension reports whether name ends with one of ImageExtensions,
// in any case.
func hasImageExtension(name string) bool {
	return slices.Contains(ImageExtensions, strings.ToLower(filepath.Ext(name)))
}

// dirSource walks a directory tree lazily, in lexical order, depth first.
type dirSource struct {
	root   string
	stack  []dirEntry // entries still to visit, the next one last
	opened bool
}

// dirEntry is an entry still to visit.
type dirEntry struct {
	path string
	dir  bool
	err  error // the directory could not be read
}

// DirSource returns a source of the files under dir whose names have one
// of ImageExtensions (in any case), in the lexical order in which
// filepath.WalkDir visits them. Names starting with a dot are skipped,
// symbolic links to files are followed and those to directories are not.
// A subdirectory that cannot be read is given as an input, which then fails
// with the reason. The names are paths joined to dir. The tree is read as
// the run goes, one directory at a time.
func DirSource(dir string) Source {
	return &dirSource{root: dir}
}

func (s *dirSource) Next(ctx context.Context) (Input, error) {
	if !s.opened {
		s.opened = true
		info, err := os.Stat(s.root)
		if err != nil {
			return Input{}, fmt.Errorf("batch: input directory: %w", err)
		}
		if !info.IsDir() {
			return Input{}, fmt.Errorf("batch: input directory %s: not a directory", s.root)
		}
		s.stack = append(s.stack, dirEntry{path: s.root, dir: true})
	}
	for len(s.stack) > 0 {
		if err := ctx.Err(); err != nil {
			return Input{}, err
		}
		e := s.stack[len(s.stack)-1]
		s.stack = s.stack[:len(s.stack)-1]
		switch {
		case e.err != nil:
			err := e.err
			return Input{Name: e.path, Read: func() ([]byte, error) { return nil, err }}, nil
		case !e.dir:
			return Input{Name: e.path}, nil
		}
		entries, err := os.ReadDir(e.path)
		if err != nil {
			if e.path == s.root {
				return Input{}, fmt.Errorf("batch: input directory: %w", err)
			}
			s.stack = append(s.stack, dirEntry{path: e.path, err: err})
			continue
		}
		for _, d := range slices.Backward(entries) {
			name := d.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := filepath.Join(e.path, name)
			isDir := d.IsDir()
			if d.Type()&fs.ModeSymlink != 0 {
				isDir = false // not followed; a link to a file is read through
				if info, err := os.Stat(p); err == nil && info.IsDir() {
					continue
				}
			}
			if !isDir && !hasImageExtension(name) {
				continue
			}
			s.stack = append(s.stack, dirEntry{path: p, dir: isDir})
		}
	}
	return Input{}, io.EOF
}

// GlobSource returns a source of the files matching pattern, in the syntax
// of filepath.Match, in lexical order; directories that match are left
// out. An error is returned for a malformed pattern.
func GlobSource(pattern string) (Source, error) {
	names, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("batch: input pattern %q: %w", pattern, err)
	}
	files := names[:0]
	for _, n := range names {
		if info, err := os.Stat(n); err == nil && info.IsDir() {
			continue
		}
		files = append(files, n)
	}
	return Files(files...), nil
}

// sliceSource gives the inputs of a slice.
type sliceSource struct {
	names []string
	next  int
}

// Files returns a source of the named files, in the order given.
func Files(names ...string) Source {
	return &sliceSource{names: names}
}

func (s *sliceSource) Next(ctx context.Context) (Input, error) {
	if err := ctx.Err(); err != nil {
		return Input{}, err
	}
	if s.next == len(s.names) {
		return Input{}, io.EOF
	}
	s.next++
	return Input{Name: s.names[s.next-1]}, nil
}

// listSource reads one path a line.
type listSource struct {
	r    *bufio.Reader
	line int
}

// ListSource returns a source of the files named in r, one path a line
// (the newline is \n or \r\n; lines that are empty or all white space are
// skipped, other white space is part of the name). An error reading r stops
// the run.
func ListSource(r io.Reader) Source {
	return &listSource{r: bufio.NewReaderSize(r, 1<<16)}
}

func (s *listSource) Next(ctx context.Context) (Input, error) {
	for {
		if err := ctx.Err(); err != nil {
			return Input{}, err
		}
		line, err := s.r.ReadString('\n')
		if len(line) > 0 {
			s.line++
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if strings.TrimSpace(line) != "" {
				return Input{Name: line}, nil
			}
		}
		if errors.Is(err, io.EOF) {
			return Input{}, io.EOF
		}
		if err != nil {
			return Input{}, fmt.Errorf("batch: reading the list of inputs after line %d: %w", s.line, err)
		}
	}
}

// chanSource gives the inputs received on a channel.
type chanSource struct {
	c <-chan Input
}

// ChanSource returns a source of the inputs received on c, until c is
// closed: the way to feed a run from a goroutine, such as one reading a
// message broker.
func ChanSource(c <-chan Input) Source {
	return chanSource{c}
}

func (s chanSource) Next(ctx context.Context) (Input, error) {
	select {
	case in, ok := <-s.c:
		if !ok {
			return Input{}, io.EOF
		}
		return in, nil
	case <-ctx.Done():
		return Input{}, ctx.Err()
	}
}
