package sequence

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gotn/gotn/datasets"
)

// peakRSS returns the process's peak resident set size in bytes (VmHWM),
// or 0 where /proc is not available.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// cpuSeconds returns the user and system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// TestCoNLL2000Long trains on the CoNLL-2000 training set and scores the
// test set, printing F1, precision, recall, training time and peak memory.
// It runs only with GTN_LONG=1 (minutes of CPU). Select methods with
// GTN_SEQ_METHODS (comma-separated: crf, perceptron, m3n, online; default
// all three main ones), templates with GTN_SEQ_TEMPLATES=rich for
// RichChunkingTemplates, and pass settings as GTN_SEQ_CONFIG (JSON of
// TrainConfig fields, e.g. {"C2": 0.5}); GTN_SEQ_DEV=1 trains on 90% of the
// training set and scores the other 10% instead of the test set.
func TestCoNLL2000Long(t *testing.T) {
	if os.Getenv("GTN_LONG") != "1" {
		t.Skip("set GTN_LONG=1 to train on CoNLL-2000 (minutes)")
	}
	dir, err := datasets.CoNLL2000Dir(os.Getenv("GTN_CONLL2000"))
	if err != nil {
		t.Skipf("CoNLL-2000 data not available: %v", err)
	}
	opt := &datasets.CoNLLOptions{Columns: 3}
	train, err := datasets.ReadCoNLLFile(filepath.Join(dir, "train.txt"), opt)
	if err != nil {
		t.Fatal(err)
	}
	test, err := datasets.ReadCoNLLFile(filepath.Join(dir, "test.txt"), opt)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("GTN_SEQ_DEV") == "1" {
		// Model selection without the test set: train on the first 90%
		// of the training sentences, score the last 10%.
		n := len(train) * 9 / 10
		train, test = train[:n], train[n:]
		t.Logf("development split: %d training sentences, %d held out", len(train), len(test))
	}
	methods := []string{MethodCRF, MethodPerceptron, MethodM3N}
	if s := os.Getenv("GTN_SEQ_METHODS"); s != "" {
		methods = strings.Split(s, ",")
	}
	for _, method := range methods {
		cfg := TrainConfig{Config: CoNLL2000Config(), Method: method}
		if os.Getenv("GTN_SEQ_TEMPLATES") == "rich" {
			cfg.Templates = RichChunkingTemplates
		}
		if s := os.Getenv("GTN_SEQ_CONFIG"); s != "" {
			if err := json.Unmarshal([]byte(s), &cfg); err != nil {
				t.Fatalf("GTN_SEQ_CONFIG: %v", err)
			}
		}
		if testing.Verbose() {
			cfg.Log = os.Stderr
		}
		runtime.GC()
		cpu0 := cpuSeconds()
		start := time.Now()
		m, st, err := Train(context.Background(), train, cfg)
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		total := time.Since(start)
		cpu := cpuSeconds() - cpu0
		t0 := time.Now()
		r, _, err := m.Evaluate(test, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: F1 %.2f (P %.2f R %.2f, accuracy %.2f); %d attributes, %d features; extraction %.1f s, training %.1f s (%d iterations, %d evaluations, %s), total %.1f s (CPU %.1f s); tagging the test set %.2f s; peak RSS %.0f MiB\n%s",
			method, r.F1, r.Precision, r.Recall, r.Accuracy, st.Attributes, st.Features, st.ExtractSeconds, st.TrainSeconds,
			st.Iterations, st.Evaluations, st.Status, total.Seconds(), cpu, time.Since(t0).Seconds(), float64(peakRSS())/(1<<20), r)
	}
}
