package priority

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/node-test/node-test/results"
)

// FlagName is the conformance binary's flag naming the durations file.
const FlagName = "spec-durations"

// DefaultSeconds is the priority of a spec with no known duration: as long
// as a typical short spec, so that specs known to be longer start before it.
const DefaultSeconds = 20

// SlowSeconds is the priority of a [Slow] spec with no known duration:
// upstream tags [Slow] the specs that take more than five minutes, so on a
// node's first run they start before every spec but those known to be
// longer.
const SlowSeconds = 300

var (
	file    string
	once    sync.Once
	known   map[string]float64
	errLoad error
)

func init() {
	flag.StringVar(&file, FlagName, "", "a JSON object of spec full texts and their seconds: the specs that took longest start first")
	ginkgo.AddTreeConstructionNodeArgsTransformer(transform)
}

// transform gives an It its priority, once the flag names a file.
func transform(nodeType types.NodeType, _ ginkgo.Offset, text string, args []any) (string, []any, []error) {
	if nodeType != types.NodeTypeIt || file == "" {
		return text, args, nil
	}
	once.Do(func() {
		known, errLoad = Load(file)
		known = results.WithReference(known)
	})
	if errLoad != nil {
		return text, args, []error{errLoad}
	}
	full := text
	if parent := ginkgo.CurrentTreeConstructionNodeReport().FullText(); parent != "" {
		full = parent + " " + text
	}
	return text, append(args, ginkgo.SpecPriority(Of(known, full))), nil
}

// Load reads a durations file: a JSON object of spec full texts and
// seconds. A file that does not exist yet (the node's first run) knows no
// duration.
func Load(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]float64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the spec durations (--%s): %w", FlagName, err)
	}
	var m map[string]float64
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse the spec durations %s (--%s): %w", path, FlagName, err)
	}
	return m, nil
}

// Of is the priority of the spec whose full text is text: its known
// seconds, rounded up, or SlowSeconds for a [Slow] spec and DefaultSeconds
// for another.
func Of(known map[string]float64, text string) int {
	if s, ok := known[text]; ok && s >= 0 {
		return int(math.Ceil(min(s, math.MaxInt32)))
	}
	if strings.Contains(text, "[Slow]") {
		return SlowSeconds
	}
	return DefaultSeconds
}
