package batch

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// names drains a source.
func names(t *testing.T, s Source) ([]string, error) {
	t.Helper()
	var out []string
	for {
		in, err := s.Next(context.Background())
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, in.Name)
	}
}

// TestDirSource checks the walk: lexical order, depth first, image
// extensions in any case, hidden names and links to directories left out.
func TestDirSource(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.png", "a.JPG", "c.txt", "sub/z.tif", "sub/a.tiff", "sub/deeper/x.bmp", "a0/y.gif",
		".hidden.png", ".git/h.png", "notes", "x.webp", "y.jpeg"} {
		writeFile(t, dir, n, []byte("x"))
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "b.png"), filepath.Join(dir, "linked.png")); err != nil {
		t.Fatal(err)
	}
	got, err := names(t, DirSource(dir))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range []string{"a.JPG", "a0/y.gif", "b.png", "linked.png", "sub/a.tiff", "sub/deeper/x.bmp", "sub/z.tif", "x.webp", "y.jpeg"} {
		want = append(want, filepath.Join(dir, n))
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	// The same order as filepath.WalkDir.
	var walked []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if slices.Contains(want, p) {
			walked = append(walked, p)
		}
		return nil
	})
	if !slices.Equal(got, walked) {
		t.Errorf("order %q, WalkDir's %q", got, walked)
	}

	for _, bad := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "b.png")} {
		if _, err := DirSource(bad).Next(context.Background()); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("DirSource(%s): %v, want an error naming it", bad, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DirSource(dir).Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestDirSourceUnreadable checks that a directory that cannot be read
// (here, one removed during the walk) is given as an input that fails, and
// the walk goes on.
func TestDirSourceUnreadable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.png", []byte("x"))
	writeFile(t, dir, "gone/b.png", []byte("x"))
	writeFile(t, dir, "z.png", []byte("x"))
	s := DirSource(dir)
	in, err := s.Next(context.Background())
	if err != nil || in.Name != filepath.Join(dir, "a.png") {
		t.Fatalf("first input %q, %v", in.Name, err)
	}
	gone := filepath.Join(dir, "gone")
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	in, err = s.Next(context.Background())
	if err != nil || in.Name != gone {
		t.Fatalf("second input %q, %v; want %s", in.Name, err, gone)
	}
	if _, err := in.load(); err == nil || !strings.Contains(err.Error(), gone) {
		t.Errorf("reading the vanished directory: %v", err)
	}
	if in, err := s.Next(context.Background()); err != nil || in.Name != filepath.Join(dir, "z.png") {
		t.Errorf("then %q, %v", in.Name, err)
	}
}

// TestGlobSource checks the expansion of patterns.
func TestGlobSource(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.png", "a.png", "c.jpg", "d.png/x"} {
		writeFile(t, dir, n, []byte("x"))
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"*.png", []string{"a.png", "b.png"}}, // d.png is a directory
		{"[bc].*", []string{"b.png", "c.jpg"}},
		{"*.gif", nil},
	}
	for _, tc := range tests {
		s, err := GlobSource(filepath.Join(dir, tc.pattern))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := names(t, s)
		var want []string
		for _, n := range tc.want {
			want = append(want, filepath.Join(dir, n))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", tc.pattern, got, want)
		}
	}
	if _, err := GlobSource("[a"); err == nil || !strings.Contains(err.Error(), `"[a"`) {
		t.Errorf("bad pattern: %v", err)
	}
}

// TestListSource checks the reading of a list of paths.
func TestListSource(t *testing.T) {
	tests := []struct {
		name string
		list string
		want []string
	}{
		{"lines", "a.png\nb.png\n", []string{"a.png", "b.png"}},
		{"no last newline", "a.png\nb.png", []string{"a.png", "b.png"}},
		{"CRLF", "a.png\r\nb.png\r\n", []string{"a.png", "b.png"}},
		{"blank lines", "\n  \na.png\n\t\n", []string{"a.png"}},
		{"spaces kept", " a b.png \n", []string{" a b.png "}},
		{"empty", "", nil},
		{"long line", strings.Repeat("x", 100000) + "\n", []string{strings.Repeat("x", 100000)}},
	}
	for _, tc := range tests {
		got, err := names(t, ListSource(strings.NewReader(tc.list)))
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	r := io.MultiReader(strings.NewReader("a.png\nb.png\n"), iotest.ErrReader(errors.New("pipe broken")))
	got, err := names(t, ListSource(r))
	if err == nil || !strings.Contains(err.Error(), "after line 2: pipe broken") || len(got) != 2 {
		t.Errorf("read error: %q, %v", got, err)
	}
}

// TestChanSource checks the source of a channel.
func TestChanSource(t *testing.T) {
	c := make(chan Input, 2)
	c <- Input{Name: "m1"}
	c <- Input{Name: "m2"}
	close(c)
	got, err := names(t, ChanSource(c))
	if err != nil || !slices.Equal(got, []string{"m1", "m2"}) {
		t.Errorf("%q, %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ChanSource(make(chan Input)).Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
