// Command node-test certifies one Kubernetes node: see runner/app.
package main

import (
	"os"

	"github.com/node-test/node-test/runner/app"
)

func main() {
	os.Exit(app.Main())
}
