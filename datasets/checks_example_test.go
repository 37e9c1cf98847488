package datasets_test

import (
	"fmt"
	"log"

	"github.com/gotn/gotn/datasets"
)

// ExampleChecks generates amount fields of US and Latin checks. Real use
// passes an MNIST split (datasets.LoadMNIST); this example makes one up.
func ExampleChecks() {
	digits := &datasets.MNIST{Rows: 28, Cols: 28, Images: make([]byte, 10*784), Labels: []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	for i := range 10 {
		for y := 4; y < 24; y++ {
			digits.Images[i*784+y*28+14] = 255 // a bar: every digit looks like a 1
		}
	}
	cfg := datasets.DefaultChecks()
	cfg.Style = datasets.CheckMixed
	cfg.FieldOnly = true
	cfg.Fonts = nil // MNIST digits and drawn symbols only
	checks, err := datasets.NewChecks(digits, 100, 1, cfg)
	if err != nil {
		log.Fatal(err)
	}
	for i := range 6 {
		ck := checks.Check(i)
		fmt.Printf("%-6s %-12q digits %-8s amount %-9s %d characters\n", ck.Style, ck.Text, ck.Digits, ck.Amount, len(ck.Chars))
	}
	// Output:
	// us     "$9840.00"   digits 984000   amount 9840.00   8 characters
	// us     "$8.--"      digits 8        amount 8.00      5 characters
	// us     "$21,929.81" digits 2192981  amount 21929.81  10 characters
	// us     "$20.27"     digits 2027     amount 20.27     6 characters
	// latin  "$770="      digits 770      amount 770       5 characters
	// us     "$4300.00"   digits 430000   amount 4300.00   8 characters
}
