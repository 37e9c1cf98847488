package datasets

import (
	"fmt"
	"strings"
	"testing"
)

// TestHeldOut checks that the held-out split is a fifth of any list of
// names, decided by the name alone.
func TestHeldOut(t *testing.T) {
	n, out := 5000, 0
	for i := range n {
		if HeldOut(fmt.Sprintf("image%05d.jpg", i)) {
			out++
		}
	}
	if out < n/5-150 || out > n/5+150 {
		t.Errorf("%d of %d names held out, want about a fifth", out, n)
	}
	// Fixed answers: the split must never change.
	for name, want := range map[string]bool{
		"a_car_000154_png.rf.ec2ee980168b10a710ba6ae16c3f0b2c.jpg": false,
		"a_car_000155_png.rf.7d146a82570b6972a28dbdedde8d75a8.jpg": true,
		"a_car_000158_png.rf.cb8b8d107166a1665d673d15c1b50fa5.jpg": true,
		"a_car_000159_png.rf.e4b91b2a711b3047444954211bbf75cf.jpg": false,
	} {
		if HeldOut(name) != want {
			t.Errorf("HeldOut(%q) = %v, want %v", name, !want, want)
		}
	}
}

// TestORAND reads ORAND-CAR-A from $GTN_DATA/orand-car-a when it is there.
func TestORAND(t *testing.T) {
	dir, err := ORANDDir("")
	if err != nil {
		t.Skipf("ORAND-CAR-A not available (set GTN_DATA to the directory holding orand-car-a/): %v", err)
	}
	s, err := LoadStringImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Images) != 1080 {
		t.Errorf("%d images, want 1,080", len(s.Images))
	}
	test, train := s.Split(true), s.Split(false)
	if len(test)+len(train) != len(s.Images) || len(test) < 180 || len(test) > 260 {
		t.Errorf("split %d held out + %d, want about a fifth of %d", len(test), len(train), len(s.Images))
	}
	boxed := 0
	for _, im := range s.Images {
		if im.Label == "" || strings.Trim(im.Label, "0123456789") != "" {
			t.Fatalf("%s: label %q is not a digit string", im.File, im.Label)
		}
		if im.Width < 20 || im.Height < 20 || len(im.Ink) != im.Width*im.Height {
			t.Fatalf("%s: %d×%d image", im.File, im.Width, im.Height)
		}
		if len(im.Boxes) == len(im.Label) && string(im.Chars) == im.Label {
			boxed++
		}
	}
	// The boxes, left to right, spell the label for nearly every image.
	if boxed < 1000 {
		t.Errorf("only %d images have boxes spelling their label", boxed)
	}
}

func TestORANDDirErrors(t *testing.T) {
	if _, err := ORANDDir(t.TempDir()); err == nil {
		t.Error("a directory without labels.tsv was accepted")
	}
	t.Setenv("GTN_DATA", "")
	if _, err := ORANDDir(""); err == nil || !strings.Contains(err.Error(), "GTN_DATA") {
		t.Errorf("no GTN_DATA: error %v, want one that names GTN_DATA", err)
	}
}
