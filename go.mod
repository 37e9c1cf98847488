module github.com/gotn/gotn

go 1.26.8
