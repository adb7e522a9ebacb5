package migrator

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// batchedSync: on Linux, syncfs(2) makes a whole batch of temporary files
// durable in one call per file system (it waits for their data and, since
// Linux 5.8, reports write-back errors), so files are not synced one by one.
const batchedSync = true

// syncFileSystems runs syncfs once for each file system the staged files are on.
func syncFileSystems(staged []*stagedFile) error {
	done := map[uint64]bool{}
	for _, st := range staged {
		if done[st.dev] {
			continue
		}
		done[st.dev] = true
		dir, err := os.Open(filepath.Dir(st.target))
		if err != nil {
			return fmt.Errorf("sync before writing %s: %w", st.path, err)
		}
		err = unix.Syncfs(int(dir.Fd()))
		dir.Close()
		if err != nil {
			return fmt.Errorf("sync before writing %s: %w", st.path, err)
		}
	}
	return nil
}
