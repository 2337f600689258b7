// Package kptfn holds the KRM function protocol shared by the test functions:
// read a ResourceList from stdin, write one to stdout. Standard library only.
package kptfn

import (
	"encoding/json"
	"io"
	"os"
)

// ResourceList is the KRM function protocol's envelope, kept loose.
type ResourceList map[string]any

// Read decodes the ResourceList on stdin, or exits with code 1.
func Read() ResourceList {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		os.Stderr.WriteString("read stdin: " + err.Error())
		os.Exit(1)
	}
	list := ResourceList{}
	if err := json.Unmarshal(data, &list); err != nil {
		os.Stderr.WriteString("decode stdin: " + err.Error())
		os.Exit(1)
	}
	return list
}

// Write encodes the ResourceList on stdout.
func Write(list ResourceList) {
	data, err := json.Marshal(list)
	if err != nil {
		os.Stderr.WriteString("encode: " + err.Error())
		os.Exit(1)
	}
	os.Stdout.Write(data)
}

// Items are the list's objects.
func (l ResourceList) Items() []map[string]any {
	raw, _ := l["items"].([]any)
	items := make([]map[string]any, 0, len(raw))
	for _, entry := range raw {
		if item, ok := entry.(map[string]any); ok {
			items = append(items, item)
		}
	}
	return items
}

// Annotate sets one annotation on an object.
func Annotate(item map[string]any, key, value string) {
	metadata, _ := item["metadata"].(map[string]any)
	if metadata == nil {
		metadata = map[string]any{}
		item["metadata"] = metadata
	}
	annotations, _ := metadata["annotations"].(map[string]any)
	if annotations == nil {
		annotations = map[string]any{}
		metadata["annotations"] = annotations
	}
	annotations[key] = value
}
