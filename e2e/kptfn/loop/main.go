// Command loop never finishes: the sandbox's fuel limit must stop it.
package main

func main() {
	n := 0
	for {
		n++
	}
}
