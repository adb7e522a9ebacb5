//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package store

import (
	"fmt"
	"os"
	"runtime"
)

func tryLock(*os.File) error {
	return fmt.Errorf("process lock not supported on %s", runtime.GOOS)
}

func unlock(*os.File) error { return nil }

func processAlive(int) bool { return false }
