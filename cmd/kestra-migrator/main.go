// Command kestra-migrator moves Kestra flows off deprecated features.
package main

import "os"

func main() {
	os.Exit(run())
}

func run() int { return 0 }
