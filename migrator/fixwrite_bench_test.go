package migrator

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// BenchmarkWriteFloor is fix --write's file-system work alone, with no
// rewrite: 760 of 1,040 files of 3.2 KB in 20 directories (the corpus mix of
// BenchmarkFixWrite) staged beside themselves by as many workers as fix
// runs, made durable by one sync, renamed over the originals. It is the
// floor under fix --write on the machine's file system, whatever the
// rewrite costs (on ext4 without a journal, creating a file right after
// many deletions scans the recently deleted inodes: tmpfs shows the rest).
func BenchmarkWriteFloor(b *testing.B) {
	const dirs, perDir, written = 20, 52, 38 // 20 x 38 = 760 files rewritten
	text := bytes.Repeat([]byte("# a flow of the corpus's size, rewritten\n"), 80)
	b.SetBytes(int64(dirs * written * len(text)))
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		root := b.TempDir()
		var paths []string
		for d := 0; d < dirs; d++ {
			dir := filepath.Join(root, strconv.Itoa(d))
			if err := os.Mkdir(dir, 0o755); err != nil {
				b.Fatal(err)
			}
			for f := 0; f < perDir; f++ {
				p := filepath.Join(dir, strconv.Itoa(f)+".yml")
				if err := os.WriteFile(p, text, 0o644); err != nil {
					b.Fatal(err)
				}
				if f < written {
					paths = append(paths, p)
				}
			}
		}
		b.StartTimer()
		paths = interleaveDirs(paths)
		batch := make([]fileOutcome, len(paths))
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < fixWorkers(); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range next {
					info, err := os.Stat(paths[j])
					if err != nil {
						b.Error(err)
						continue
					}
					st, err := stage(paths[j], info, text)
					if err != nil {
						b.Error(err)
						continue
					}
					batch[j] = fileOutcome{path: paths[j], staged: st}
				}
			}()
		}
		for j := range paths {
			next <- j
		}
		close(next)
		wg.Wait()
		w := newFixWriter()
		if err := w.commit(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		if err := w.syncDirs(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(dirs*written*b.N)/b.Elapsed().Seconds(), "files/s")
}
