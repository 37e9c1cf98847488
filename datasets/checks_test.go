package datasets

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testChecksConfig is DefaultChecks without the system's fonts, so that
// tests run the same everywhere.
func testChecksConfig(style string) CheckConfig {
	cfg := DefaultChecks()
	cfg.Style = style
	cfg.Fonts = nil
	return cfg
}

// haveCheckFonts returns the default fonts that are installed, skipping
// the test when there is none.
func haveCheckFonts(t testing.TB) []string {
	var fonts []string
	for _, f := range DefaultCheckFonts() {
		if _, err := os.Stat(f); err == nil {
			fonts = append(fonts, f)
		}
	}
	if len(fonts) == 0 {
		t.Skip("no handwriting font installed (apt-get install fonts-dkg-handwriting fonts-kristi)")
	}
	return fonts
}

func sameImage(a, b *image.Gray) bool {
	return a.Rect == b.Rect && bytes.Equal(a.Pix, b.Pix)
}

func TestChecksDeterministic(t *testing.T) {
	for _, field := range []bool{false, true} {
		cfg := testChecksConfig(CheckMixed)
		cfg.FieldOnly = field
		c, err := NewChecks(testDigits(100), 8, 3, cfg)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := NewChecks(testDigits(100), 8, 3, cfg)
		e, _ := NewChecks(testDigits(100), 8, 4, cfg)
		same := 0
		for i := range c.Len() {
			// In reverse order for d: a check does not depend on the others.
			d.Check(c.Len() - 1 - i)
			a, b := c.Check(i), d.Check(i)
			if a.Text != b.Text || a.Field != b.Field || !sameImage(a.Image, b.Image) {
				t.Fatalf("field %v: check %d differs between two generators with the same seed", field, i)
			}
			if v := c.Variant(i, 0); !sameImage(v.Image, a.Image) {
				t.Errorf("Variant(%d, 0) is not Check(%d)", i, i)
			}
			if v := c.Variant(i, 99); sameImage(v.Image, a.Image) {
				t.Errorf("Variant(%d, 99) is Check(%d)", i, i)
			}
			if o := e.Check(i); o.Text == a.Text {
				same++
			}
		}
		if same > 2 {
			t.Errorf("%d of %d checks have the same amount with another seed", same, c.Len())
		}
	}
}

var (
	usText    = regexp.MustCompile(`^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d\d|\.-{1,2}|\.00-| \d\d/100|=)$`)
	latinText = regexp.MustCompile(`^\$?(\d{1,3}(\.\d{3})+|\d+)(\.-|-|=|\.=|=-|--)?$`)
	usAmt     = regexp.MustCompile(`^[1-9]\d*\.\d\d$`)
	latinAmt  = regexp.MustCompile(`^[1-9]\d*$`)
)

// TestChecksGroundTruth checks the text, digits, amount and boxes of US
// and Latin checks, full and field only.
func TestChecksGroundTruth(t *testing.T) {
	for _, tc := range []struct {
		style string
		field bool
	}{{CheckUS, false}, {CheckUS, true}, {CheckLatin, false}, {CheckLatin, true}} {
		cfg := testChecksConfig(tc.style)
		cfg.FieldOnly = tc.field
		n := 120
		if !tc.field {
			n = 12
		}
		c, err := NewChecks(testDigits(100), n, 5, cfg)
		if err != nil {
			t.Fatal(err)
		}
		lengths := map[int]int{}
		for i := range n {
			ck := c.Check(i)
			where := fmt.Sprintf("%s field=%v check %d %q", tc.style, tc.field, i, ck.Text)
			if ck.Style != tc.style {
				t.Fatalf("%s: style %q", where, ck.Style)
			}
			textRE, amtRE := usText, usAmt
			if tc.style == CheckLatin {
				textRE, amtRE = latinText, latinAmt
			}
			if !textRE.MatchString(ck.Text) || !amtRE.MatchString(ck.Amount) {
				t.Fatalf("%s: text or amount %q malformed", where, ck.Amount)
			}
			if ck.Digits != AmountDigits(ck.Text) {
				t.Fatalf("%s: digits %q", where, ck.Digits)
			}
			// The digits are the amount's, cents left out when written as
			// dashes or "=".
			if v := strings.ReplaceAll(ck.Amount, ".", ""); !strings.HasPrefix(v, ck.Digits) || len(v)-len(ck.Digits) != 0 && len(v)-len(ck.Digits) != 2 {
				t.Fatalf("%s: digits %q do not spell amount %s", where, ck.Digits, ck.Amount)
			}
			whole, _, _ := strings.Cut(ck.Amount, ".")
			lengths[len(whole)]++
			// One box per character, in order, inside the field, inside the
			// image.
			chars := strings.ReplaceAll(ck.Text, " ", "")
			if len(ck.Chars) != len(chars) {
				t.Fatalf("%s: %d characters for %d", where, len(ck.Chars), len(chars))
			}
			if !ck.Field.In(ck.Image.Rect) || ck.Field.Empty() {
				t.Fatalf("%s: field %v outside image %v", where, ck.Field, ck.Image.Rect)
			}
			for k, ch := range ck.Chars {
				if ch.Symbol != chars[k:k+1] || ch.Box.Empty() || !ch.Box.In(ck.Field) {
					t.Fatalf("%s: character %d %+v (field %v)", where, k, ch, ck.Field)
				}
				if ch.Printed && (k > 0 || ch.Symbol != "$") {
					t.Fatalf("%s: printed character %d %+v", where, k, ch)
				}
			}
			if tc.field && (ck.Image.Rect.Dx() > 3*ck.Field.Dx() || ck.Image.Rect.Dy() > 3*ck.Field.Dy()) {
				t.Errorf("%s: field crop %v much larger than the field %v", where, ck.Image.Rect, ck.Field)
			}
		}
		if tc.field && (lengths[1]+lengths[2] > n/2 || len(lengths) < 4) {
			t.Errorf("%s: lengths before the decimal point %v", tc.style, lengths)
		}
	}
}

// TestChecksFieldHoldsInk draws amounts alone: all their ink lies in the
// field and in the characters' boxes.
func TestChecksFieldHoldsInk(t *testing.T) {
	for _, style := range []string{CheckUS, CheckLatin} {
		cfg := testChecksConfig(style)
		cfg.FieldOnly, cfg.amountOnly, cfg.Noise = true, true, 0
		c, err := NewChecks(testDigits(100), 60, 9, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Len() {
			ck := c.Check(i)
			im := ck.Image
			inked, unowned := 0, 0
			for y := im.Rect.Min.Y; y < im.Rect.Max.Y; y++ {
				for x := im.Rect.Min.X; x < im.Rect.Max.X; x++ {
					if im.GrayAt(x, y).Y > 160 {
						continue
					}
					inked++
					p := image.Pt(x, y)
					if !p.In(ck.Field) {
						t.Fatalf("%s check %d %q: ink at %v outside the field %v", style, i, ck.Text, p, ck.Field)
					}
					in := false
					for _, ch := range ck.Chars {
						in = in || p.In(ch.Box.Inset(-2))
					}
					if !in {
						t.Fatalf("%s check %d %q: ink at %v outside every character's box %v", style, i, ck.Text, p, ck.Chars)
					}
					// The owner's box holds the pixel.
					switch o := ck.Owner[y*im.Rect.Dx()+x]; {
					case o < 0:
						unowned++
					case int(o) >= len(ck.Chars) || !p.In(ck.Chars[o].Box.Inset(-2)):
						t.Fatalf("%s check %d %q: ink at %v owned by %d, %v", style, i, ck.Text, p, o, ck.Chars)
					}
				}
			}
			if inked < 50 || len(ck.Owner) != len(im.Pix) || unowned > inked/50 {
				t.Fatalf("%s check %d %q: %d inked pixels, %d of them without an owner; %d owners for %d pixels", style, i, ck.Text, inked, unowned, len(ck.Owner), len(im.Pix))
			}
		}
	}
}

func TestChecksResolution(t *testing.T) {
	for _, dpi := range []int{150, 200, 300} {
		cfg := testChecksConfig(CheckMixed)
		cfg.MinDPI, cfg.MaxDPI = dpi, dpi
		c, err := NewChecks(testDigits(100), 4, 2, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Len() {
			ck := c.Check(i)
			w, h := ck.Image.Rect.Dx(), ck.Image.Rect.Dy()
			if ck.DPI != dpi || w < 6*dpi || w > 7*dpi || h < 27*dpi/10 || h > 3*dpi {
				t.Errorf("%d dpi: check %d is %d×%d pixels at %d dpi, want 6-7 by 2.7-3 inches", dpi, i, w, h, ck.DPI)
			}
			// Digits are 0.15-0.3 inch tall.
			for _, ch := range ck.Chars {
				if ch.Symbol >= "0" && ch.Symbol <= "9" && (ch.Box.Dy() < dpi*12/100 || ch.Box.Dy() > dpi*35/100) {
					t.Errorf("%d dpi: check %d %q: digit %s is %d pixels tall", dpi, i, ck.Text, ch.Symbol, ch.Box.Dy())
				}
			}
		}
	}
}

func TestChecksBadInput(t *testing.T) {
	good := testChecksConfig(CheckUS)
	for _, tc := range []struct {
		name string
		edit func(*CheckConfig)
	}{
		{"style", func(c *CheckConfig) { c.Style = "french" }},
		{"dpi", func(c *CheckConfig) { c.MinDPI, c.MaxDPI = 300, 200 }},
		{"tiny dpi", func(c *CheckConfig) { c.MinDPI = 10 }},
		{"skew", func(c *CheckConfig) { c.MaxSkew = -1 }},
		{"noise", func(c *CheckConfig) { c.Noise = 2 }},
		{"background", func(c *CheckConfig) { c.Background = 1.5 }},
		{"font share", func(c *CheckConfig) { c.FontShare = -0.1 }},
		{"margin", func(c *CheckConfig) { c.FieldMargin = -1 }},
	} {
		cfg := good
		tc.edit(&cfg)
		if _, err := NewChecks(testDigits(20), 1, 1, cfg); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if _, err := NewChecks(nil, 1, 1, good); err == nil {
		t.Error("no digits: no error")
	}
	if _, err := NewChecks(testDigits(5), 1, 1, good); err == nil {
		t.Error("digits 5-9 missing: no error")
	}
	if _, err := NewChecks(testDigits(20), -1, 1, good); err == nil {
		t.Error("-1 checks: no error")
	}
	// Missing fonts: reported, and the amounts are written without them.
	cfg := good
	cfg.Fonts, cfg.FontShare = []string{"/nonexistent/hand.ttf", "checks_test.go"}, 1
	c, err := NewChecks(testDigits(20), 3, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.FontError(); err == nil || !strings.Contains(err.Error(), "hand.ttf") {
		t.Errorf("FontError() = %v, want the missing font named", err)
	}
	for i := range c.Len() {
		if ck := c.Check(i); ck.Font != "" || len(ck.Chars) == 0 {
			t.Errorf("check %d: font %q, %d characters", i, ck.Font, len(ck.Chars))
		}
	}
	// Extreme but valid settings.
	cfg = good
	cfg.MinDPI, cfg.MaxDPI, cfg.MaxSkew, cfg.Noise, cfg.FieldOnly, cfg.FieldMargin = 72, 72, 30, 0.5, true, 10
	c, err = NewChecks(testDigits(20), 20, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Len() {
		if ck := c.Check(i); ck.Image.Rect.Empty() || !ck.Field.In(ck.Image.Rect) {
			t.Errorf("extreme settings, check %d: image %v, field %v", i, ck.Image.Rect, ck.Field)
		}
	}
}

func TestChecksFonts(t *testing.T) {
	fonts := haveCheckFonts(t)
	cfg := DefaultChecks()
	cfg.Fonts, cfg.FontShare, cfg.FieldOnly, cfg.Style = fonts, 1, true, CheckMixed
	c, err := NewChecks(testDigits(100), 30, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.FontError(); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for i := range c.Len() {
		ck := c.Check(i)
		if ck.Font == "" {
			t.Fatalf("check %d: written without a font with a font share of 1", i)
		}
		used[ck.Font] = true
		for k, ch := range ck.Chars {
			if ch.Box.Empty() || !ch.Box.In(ck.Field) {
				t.Fatalf("check %d %q: character %d %+v outside the field %v", i, ck.Text, k, ch, ck.Field)
			}
		}
	}
	if len(used) < min(2, len(fonts)) {
		t.Errorf("fonts used: %v", used)
	}
}

func TestCharacter(t *testing.T) {
	c, err := NewChecks(testDigits(100), 0, 1, testChecksConfig(CheckUS))
	if err != nil {
		t.Fatal(err)
	}
	for _, sym := range strings.Split(amountSymbols, "") {
		for seed := range uint64(5) {
			im, err := c.Character(sym, 28, seed)
			if err != nil {
				t.Fatal(err)
			}
			if im.Symbol != sym || len(im.Ink) != im.Width*im.Height || im.Box.Empty() || !im.Box.In(image.Rect(0, 0, im.Width, im.Height)) {
				t.Fatalf("%s seed %d: %dx%d, box %v", sym, seed, im.Width, im.Height, im.Box)
			}
			var ink float32
			for _, v := range im.Ink {
				ink += v
			}
			if ink < 3 {
				t.Fatalf("%s seed %d: ink %g", sym, seed, ink)
			}
			again, _ := c.Character(sym, 28, seed)
			if again.Box != im.Box {
				t.Fatalf("%s seed %d: not deterministic", sym, seed)
			}
		}
	}
	for _, bad := range []struct {
		sym string
		h   int
	}{{"a", 28}, {"12", 28}, {"", 28}, {"1", 0}, {"1", 10000}} {
		if _, err := c.Character(bad.sym, bad.h, 1); err == nil {
			t.Errorf("Character(%q, %d): no error", bad.sym, bad.h)
		}
	}
}

func TestWriteChecks(t *testing.T) {
	cfg := testChecksConfig(CheckMixed)
	cfg.MinDPI, cfg.MaxDPI = 150, 150
	c, err := NewChecks(testDigits(100), 5, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "checks")
	if err := WriteChecks(dir, c, 1, 4); err != nil {
		t.Fatal(err)
	}
	labels, err := ReadCheckLabels(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 3 {
		t.Fatalf("%d labels, want 3", len(labels))
	}
	for k, l := range labels {
		ck := c.Check(k + 1)
		want := CheckLabel{File: fmt.Sprintf("%06d.png", k+1), Text: ck.Text, Digits: ck.Digits, Amount: ck.Amount, Style: ck.Style, Field: ck.Field}
		if l != want {
			t.Errorf("label %d = %+v, want %+v", k, l, want)
		}
		f, err := os.Open(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		im, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if g, ok := im.(*image.Gray); !ok || !sameImage(g, ck.Image) {
			t.Errorf("%s is not check %d", l.File, k+1)
		}
	}
	// Another range, of another generator, joins the labels.
	latin, err := NewChecks(testDigits(100), 6, 2, testChecksConfig(CheckLatin))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteChecks(dir, latin, 3, 5); err != nil {
		t.Fatal(err)
	}
	labels, err = ReadCheckLabels(filepath.Join(dir, "labels.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) != 4 || labels[2].Text != latin.Check(3).Text || labels[3].Style != CheckLatin || labels[0].Text != c.Check(1).Text {
		t.Errorf("labels after a second range: %+v", labels)
	}
	if err := WriteChecks(dir, c, 3, 9); err == nil {
		t.Error("range beyond Len: no error")
	}
	if _, err := ReadCheckLabels(filepath.Join(dir, "000001.png")); err == nil {
		t.Error("reading a PNG as labels: no error")
	}
}

func TestAmountWords(t *testing.T) {
	for _, tc := range []struct {
		v      int64
		en, es string
	}{
		{1, "one", "uno"},
		{21, "twenty-one", "veintiuno"},
		{100, "one hundred", "cien"},
		{101, "one hundred one", "ciento uno"},
		{1234, "one thousand two hundred thirty-four", "mil doscientos treinta y cuatro"},
		{21000, "twenty-one thousand", "veintiun mil"},
		{15500, "fifteen thousand five hundred", "quince mil quinientos"},
		{1000000, "one million", "un millon"},
		{2500001, "two million five hundred thousand one", "dos millones quinientos mil uno"},
	} {
		if got := englishWords(tc.v); got != tc.en {
			t.Errorf("englishWords(%d) = %q, want %q", tc.v, got, tc.en)
		}
		if got := spanishWords(tc.v); got != tc.es {
			t.Errorf("spanishWords(%d) = %q, want %q", tc.v, got, tc.es)
		}
	}
	for text, digits := range map[string]string{"$1,234.56": "123456", "$75 50/100": "7550", "1.234.-": "1234", "$1,000.--": "1000", "15.500=": "15500"} {
		if got := AmountDigits(text); got != digits {
			t.Errorf("AmountDigits(%q) = %q, want %q", text, got, digits)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	for _, tc := range []struct {
		name  string
		field bool
		fonts bool
	}{{"full", false, false}, {"field", true, false}, {"field-fonts", true, true}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := testChecksConfig(CheckMixed)
			cfg.FieldOnly = tc.field
			if tc.fonts {
				cfg.Fonts, cfg.FontShare = haveCheckFonts(b), 1
			}
			c, err := NewChecks(testDigits(1000), 1<<20, 1, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.Check(i)
				i++
			}
		})
	}
}

// TestChecksConcurrent generates checks from several goroutines (run with
// -race): the same images as one goroutine makes.
func TestChecksConcurrent(t *testing.T) {
	cfg := DefaultChecks() // with the fonts, when installed
	cfg.Style, cfg.FieldOnly, cfg.FontShare = CheckMixed, true, 0.5
	c, err := NewChecks(testDigits(100), 16, 1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]*Check, c.Len())
	for i := range want {
		want[i] = c.Check(i)
	}
	got := make([]*Check, c.Len())
	done := make(chan bool)
	for w := range 4 {
		go func() {
			for i := w; i < c.Len(); i += 4 {
				got[i] = c.Check(i)
			}
			done <- true
		}()
	}
	for range 4 {
		<-done
	}
	for i := range want {
		if !sameImage(got[i].Image, want[i].Image) || got[i].Text != want[i].Text {
			t.Errorf("check %d differs when generated concurrently", i)
		}
	}
}
