// Command readfile tries to read /etc/passwd and reports what happened as an
// error result; in the sandbox (no preopened directories) the open must fail.
package main

import (
	"os"

	"syncd.dev/e2e/kptfn"
)

func main() {
	list := kptfn.Read()
	message := "open failed: "
	data, err := os.ReadFile("/etc/passwd")
	if err == nil {
		message = "read /etc/passwd: " + string(data)
	} else {
		message += err.Error()
	}
	list["results"] = []any{map[string]any{"severity": "error", "message": message}}
	kptfn.Write(list)
}
