package datasets

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	_ "image/jpeg" // ORAND-CAR-A images are JPEG
	_ "image/png"  // generated strings are PNG
	"os"
	"path/filepath"
	"strings"
)

// ORANDDirName is the directory of ORAND-CAR-A under $GTN_DATA.
const ORANDDirName = "orand-car-a"

// ORANDDir returns the directory of ORAND-CAR-A: dir if not empty (it must
// hold labels.tsv), else $GTN_DATA/orand-car-a. The error says where it
// looked.
func ORANDDir(dir string) (string, error) {
	if dir == "" {
		env := os.Getenv("GTN_DATA")
		if env == "" {
			return "", fmt.Errorf("datasets: ORAND-CAR-A: no directory given and GTN_DATA is not set (it holds %s/)", ORANDDirName)
		}
		dir = filepath.Join(env, ORANDDirName)
	}
	if _, err := os.Stat(filepath.Join(dir, "labels.tsv")); err != nil {
		return "", fmt.Errorf("datasets: ORAND-CAR-A: %w", err)
	}
	return dir, nil
}

// StringImage is a string image of a labelled data set: its file, its
// label (the characters, "3572"), its ink and, when annotated, the boxes
// of its characters.
type StringImage struct {
	File          string
	Label         string
	Width, Height int
	// Ink holds one value per pixel, row by row: 0 for paper, 1 for full
	// ink (1 - luminance).
	Ink []float32
	// Boxes are the annotated characters' boxes, left to right (nil when
	// not annotated), and Chars their characters.
	Boxes []Box
	Chars []byte
}

// StringImages is a directory of string images with a labels file
// (labels.tsv: a header line, then `file<TAB>label` lines), such as
// ORAND-CAR-A or the output of WriteDigitStrings. Images are decoded when
// loaded and kept in memory.
type StringImages struct {
	Dir    string
	Images []*StringImage
}

// LoadStringImages reads dir/labels.tsv and decodes every image it lists
// (JPEG or PNG). If dir/boxes.json exists (COCO format, one box per
// character, categories named by the characters), the boxes are attached
// to their images.
func LoadStringImages(dir string) (*StringImages, error) {
	path := filepath.Join(dir, "labels.tsv")
	s := &StringImages{Dir: dir}
	err := forEachLabel(path, func(line int, text string) error {
		name, label, ok := strings.Cut(text, "\t")
		if !ok || name == "" {
			return fmt.Errorf("datasets: %s:%d: want file<TAB>label", path, line)
		}
		im, err := readInk(filepath.Join(dir, "images", name))
		if os.IsNotExist(err) {
			im, err = readInk(filepath.Join(dir, name))
		}
		if err != nil {
			return fmt.Errorf("datasets: %s:%d: %w", path, line, err)
		}
		im.File, im.Label = name, label
		s.Images = append(s.Images, im)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.readBoxes(filepath.Join(dir, "boxes.json")); err != nil {
		return nil, err
	}
	return s, nil
}

// forEachLabel calls f with each line of the labels file at path (tab-
// separated; a first line starting "file\t" is a header), numbered from 1,
// blank lines left out, until f returns an error.
func forEachLabel(path string, f func(line int, text string) error) error {
	fh, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if line == 1 && strings.HasPrefix(text, "file\t") || text == "" {
			continue
		}
		if err := f(line, text); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("datasets: %s: %w", path, err)
	}
	return nil
}

// readInk decodes an image file into ink.
func readInk(path string) (*StringImage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b := src.Bounds()
	im := &StringImage{Width: b.Dx(), Height: b.Dy(), Ink: make([]float32, b.Dx()*b.Dy())}
	for y := range im.Height {
		for x := range im.Width {
			g := color.GrayModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			im.Ink[y*im.Width+x] = 1 - float32(g)/255
		}
	}
	return im, nil
}

// readBoxes attaches the boxes of a COCO file to the images, if it exists.
func (s *StringImages) readBoxes(path string) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("datasets: %w", err)
	}
	var coco struct {
		Categories []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"categories"`
		Images []struct {
			ID   int    `json:"id"`
			File string `json:"file_name"`
		} `json:"images"`
		Annotations []struct {
			Image    int       `json:"image_id"`
			Category int       `json:"category_id"`
			Box      []float64 `json:"bbox"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(data, &coco); err != nil {
		return fmt.Errorf("datasets: %s: %w", path, err)
	}
	names := map[int]string{}
	for _, c := range coco.Categories {
		names[c.ID] = c.Name
	}
	files := map[int]string{}
	for _, im := range coco.Images {
		files[im.ID] = im.File
	}
	byFile := map[string]*StringImage{}
	for _, im := range s.Images {
		byFile[im.File] = im
	}
	for _, a := range coco.Annotations {
		im := byFile[files[a.Image]]
		name := names[a.Category]
		if im == nil || len(a.Box) != 4 || len(name) != 1 {
			continue
		}
		x, y, w, h := int(a.Box[0]), int(a.Box[1]), int(a.Box[2]+0.5), int(a.Box[3]+0.5)
		box := Box{X0: max(0, x), Y0: max(0, y), X1: min(im.Width, x+w), Y1: min(im.Height, y+h)}
		// Keep the boxes sorted left to right (by centre).
		k := len(im.Boxes)
		for k > 0 && im.Boxes[k-1].X0+im.Boxes[k-1].X1 > box.X0+box.X1 {
			k--
		}
		im.Boxes = append(im.Boxes[:k], append([]Box{box}, im.Boxes[k:]...)...)
		im.Chars = append(im.Chars[:k], append([]byte{name[0]}, im.Chars[k:]...)...)
	}
	return nil
}

// HeldOut reports whether the image named file belongs to the held-out
// fifth of a data set: the FNV-1a hash of its name is 0 modulo 5. The
// split depends on the name only, so it never changes as images are added
// or reordered.
func HeldOut(file string) bool {
	h := fnv.New32a()
	h.Write([]byte(file))
	return h.Sum32()%5 == 0
}

// Split returns the images of the held-out fifth (heldOut) or of the other
// four fifths, in the order of the labels file.
func (s *StringImages) Split(heldOut bool) []*StringImage {
	var out []*StringImage
	for _, im := range s.Images {
		if HeldOut(im.File) == heldOut {
			out = append(out, im)
		}
	}
	return out
}
