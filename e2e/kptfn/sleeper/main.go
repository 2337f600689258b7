// Command sleeper waits instead of computing: it burns no fuel while the host
// blocks in WASI's poll_oneoff, so only the sandbox's refusal to sleep stops it.
package main

import (
	"io"
	"os"
	"time"
)

func main() {
	_, _ = io.ReadAll(os.Stdin)
	time.Sleep(time.Hour)
}
