// Command mutator annotates every object with the functionConfig's data.value
// and with how many times this instance has run (always 1 in a fresh sandbox).
package main

import (
	"strconv"

	"syncd.dev/e2e/kptfn"
)

var runs int

func main() {
	runs++
	list := kptfn.Read()
	value := "unset"
	if config, ok := list["functionConfig"].(map[string]any); ok {
		if data, ok := config["data"].(map[string]any); ok {
			if v, ok := data["value"].(string); ok {
				value = v
			}
		}
	}
	for _, item := range list.Items() {
		kptfn.Annotate(item, "wasm.syncd.dev/value", value)
		kptfn.Annotate(item, "wasm.syncd.dev/runs", strconv.Itoa(runs))
	}
	kptfn.Write(list)
}
