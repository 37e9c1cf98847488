module github.com/gotn/gotn

go 1.26.8

require (
	github.com/goccy/go-yaml v1.19.2 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	gonum.org/v1/gonum v0.17.0 // indirect
)
