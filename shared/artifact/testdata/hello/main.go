// Command hello is a minimal program the artifact tests build for arm64.
package main

import "fmt"

func main() { fmt.Println("hello") }
