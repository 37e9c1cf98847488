package datasets

import (
	"fmt"
	"image/png"
	"os"
	"strings"
	"testing"
)

func TestScratchDump(t *testing.T) {
	out := os.Getenv("CHECK_DUMP")
	if out == "" {
		t.Skip()
	}
	dir, err := MNISTDir("")
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadMNIST(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []bool{false, true} {
		cfg := DefaultChecks()
		cfg.Style = CheckMixed
		cfg.FieldOnly = field
		c, err := NewChecks(m, 200, 1, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(c.FontError())
		saved := 0
		for i := range 200 {
			ck := c.Check(i)
			if !field || !strings.Contains(ck.Text, "/") || saved > 3 {
				if i >= 6 {
					continue
				}
			} else {
				saved++
			}
			f, _ := os.Create(fmt.Sprintf("%s/%v-%d.png", out, field, i))
			png.Encode(f, ck.Image)
			f.Close()
			t.Logf("%d %q %s %s %v font=%q field=%v chars=%v", i, ck.Text, ck.Digits, ck.Amount, ck.Image.Rect, ck.Font, ck.Field, ck.Chars)
		}
	}
}
