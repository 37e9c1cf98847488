package pipelines

import (
	"embed"
	"io/fs"
)

//go:embed *.yaml grammars
var files embed.FS

// Files returns the pipeline files shipped with gotn (this directory's
// *.yaml) and their grammars (grammars/), laid out as in the repository,
// so that a program can run them without a checkout (gtn read's default
// pipelines). The models they name live in the models package.
func Files() fs.FS { return files }
