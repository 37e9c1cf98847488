package amount_test

import (
	"fmt"

	"github.com/gotn/gotn/amount"
)

func ExampleDecode() {
	// The output symbols of a path through amount-any.fst.txt.
	for _, path := range [][]string{
		{"$", "1", ",", "2", "3", "4", ".", "5", "6"},
		{"1", "2", "0", "0", "/", "1", "0", "0", "-"},
		{"1", "th.", "5", "0", "0", "end.", "-"},
	} {
		r, err := amount.Decode(path)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s  digits %s  amount %s\n", r.Text, r.Digits, r.Amount)
	}
	// Output:
	// $1,234.56  digits 123456  amount 1234.56
	// 12 00/100-  digits 1200  amount 12.00
	// 1.500.-  digits 1500  amount 1500.00
}
