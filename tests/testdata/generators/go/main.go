// Command gen-go-profiles profiles itself with runtime/pprof and writes a
// small corpus of real Go profiles used as Dapr.Profiler test data.
//
// Usage (from this directory):
//
//	go run . -out ../../profiles            # all profiles
//	go run . -out ../../profiles -only go-heap.pb.gz
//
// Only the standard library is used (go 1.19, no external modules).
// The work is deterministic (fixed seeds, fixed inputs); the profiles are
// statistical so their contents differ between runs. The committed files in
// tests/testdata/profiles are the source of truth.
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"
)

// sink keeps results alive so the compiler cannot discard the work.
var sink uint64

// heapSink keeps allocations reachable until the heap profile is written.
var heapSink [][]byte
var heapSinkStrings []string
var heapSinkMaps []map[int]string

// ---------------------------------------------------------------------------
// CPU work functions (distinct names, several levels deep)
// ---------------------------------------------------------------------------

//go:noinline
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

//go:noinline
func computeFib(deadline time.Time) {
	for time.Now().Before(deadline) {
		sink += uint64(fib(27))
	}
}

//go:noinline
func sha256Loop(deadline time.Time) {
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	for time.Now().Before(deadline) {
		for i := 0; i < 64; i++ {
			sum := sha256.Sum256(buf)
			copy(buf, sum[:])
		}
	}
	sink += uint64(buf[0])
}

//go:noinline
func sortLoop(deadline time.Time) {
	r := rand.New(rand.NewSource(42))
	data := make([]int, 20000)
	for time.Now().Before(deadline) {
		for i := range data {
			data[i] = r.Int()
		}
		sort.Ints(data)
	}
	sink += uint64(data[0])
}

// smallHelper is deliberately left inlinable so the profile gets locations
// with several Line entries (inlined frames).
func smallHelper(x uint64) uint64 {
	return x*2654435761 ^ (x >> 13)
}

//go:noinline
func hashMix(deadline time.Time) {
	var acc uint64 = 1
	for time.Now().Before(deadline) {
		for i := 0; i < 100000; i++ {
			acc = smallHelper(acc + uint64(i))
		}
	}
	sink += acc
}

//go:noinline
func mapChurn(deadline time.Time) {
	m := make(map[int]int)
	i := 0
	for time.Now().Before(deadline) {
		for j := 0; j < 1000; j++ {
			m[(i*31+j)%50000] += j
		}
		i++
	}
	sink += uint64(len(m))
}

//go:noinline
func stringBuild(deadline time.Time) {
	for time.Now().Before(deadline) {
		var sb strings.Builder
		for i := 0; i < 2000; i++ {
			sb.WriteString("frame;")
			sb.WriteString(fmt.Sprint(i))
		}
		sink += uint64(len(sb.String()))
	}
}

//go:noinline
func stageCompute(kind string, d time.Duration) {
	deadline := time.Now().Add(d)
	switch kind {
	case "fib":
		computeFib(deadline)
	case "sha":
		sha256Loop(deadline)
	case "sort":
		sortLoop(deadline)
	case "mix":
		hashMix(deadline)
	case "map":
		mapChurn(deadline)
	case "str":
		stringBuild(deadline)
	default:
		panic("unknown kind " + kind)
	}
}

//go:noinline
func runPipeline(steps []step) {
	for _, s := range steps {
		stageCompute(s.kind, s.d)
	}
}

type step struct {
	kind string
	d    time.Duration
}

//go:noinline
func runWorkload(steps []step, parallel bool) {
	if !parallel {
		runPipeline(steps)
		return
	}
	var wg sync.WaitGroup
	for _, s := range steps {
		wg.Add(1)
		go func(s step) {
			defer wg.Done()
			runPipeline([]step{s})
		}(s)
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------

func writeCPU(path string, steps []step, parallel bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	runWorkload(steps, parallel)
	pprof.StopCPUProfile()
	return nil
}

//go:noinline
func allocBuffers(n, size int) {
	for i := 0; i < n; i++ {
		heapSink = append(heapSink, make([]byte, size))
	}
}

//go:noinline
func allocStrings(n int) {
	for i := 0; i < n; i++ {
		heapSinkStrings = append(heapSinkStrings, strings.Repeat("x", 100+i%400))
	}
}

//go:noinline
func allocMaps(n int) {
	for i := 0; i < n; i++ {
		m := make(map[int]string, 16)
		for j := 0; j < 16; j++ {
			m[j] = "v"
		}
		heapSinkMaps = append(heapSinkMaps, m)
	}
}

//go:noinline
func allocTemporary(n int) {
	// Garbage: shows up in alloc_* but not in inuse_*.
	for i := 0; i < n; i++ {
		b := make([]byte, 1024+i%4096)
		sink += uint64(b[0])
	}
}

//go:noinline
func buildHeap() {
	allocBuffers(2000, 8192)
	allocStrings(5000)
	allocMaps(3000)
	allocTemporary(20000)
}

func writeHeap(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.WriteHeapProfile(f)
}

func writeLookup(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup(name).WriteTo(f, 0)
}

//go:noinline
func contendMutex(mu *sync.Mutex, workers, iters int) {
	var wg sync.WaitGroup
	var counter int
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lockedWorker(mu, iters, &counter)
		}()
	}
	wg.Wait()
	sink += uint64(counter)
}

//go:noinline
func lockedWorker(mu *sync.Mutex, iters int, counter *int) {
	for i := 0; i < iters; i++ {
		mu.Lock()
		// Hold the lock for a little while so others contend.
		x := 0
		for k := 0; k < 2000; k++ {
			x += k
		}
		*counter += x & 1
		mu.Unlock()
	}
}

//go:noinline
func contendRWMutex(rw *sync.RWMutex, workers, iters int) {
	var wg sync.WaitGroup
	shared := make(map[int]int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			if w%2 == 0 {
				rwWriter(rw, shared, iters)
			} else {
				rwReader(rw, shared, iters)
			}
		}(w)
	}
	wg.Wait()
	sink += uint64(len(shared))
}

//go:noinline
func rwWriter(rw *sync.RWMutex, shared map[int]int, iters int) {
	for i := 0; i < iters; i++ {
		rw.Lock()
		for k := 0; k < 50; k++ {
			shared[(i+k)%1000]++
		}
		rw.Unlock()
	}
}

//go:noinline
func rwReader(rw *sync.RWMutex, shared map[int]int, iters int) {
	for i := 0; i < iters; i++ {
		rw.RLock()
		x := 0
		for k := 0; k < 50; k++ {
			x += shared[(i+k)%1000]
		}
		sink += uint64(x & 1)
		rw.RUnlock()
	}
}

//go:noinline
func parkedWorker(ch chan struct{}, wg *sync.WaitGroup) {
	wg.Done()
	<-ch
}

//go:noinline
func sleepyWorker(ch chan struct{}, wg *sync.WaitGroup) {
	wg.Done()
	select {
	case <-ch:
	case <-time.After(time.Hour):
	}
}

func writeGoroutine(path string) error {
	ch := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(2)
		go parkedWorker(ch, &wg)
		go sleepyWorker(ch, &wg)
	}
	wg.Wait()
	time.Sleep(50 * time.Millisecond)
	err := writeLookup("goroutine", path)
	close(ch)
	return err
}

func main() {
	out := flag.String("out", "../../profiles", "output directory")
	only := flag.String("only", "", "generate only this file name (default: all)")
	flag.Parse()

	// Must be set before any allocation we want to see.
	runtime.MemProfileRate = 4096
	rand.Seed(1)

	type gen struct {
		name string
		fn   func(path string) error
	}
	gens := []gen{
		{"go-cpu.pb.gz", func(p string) error {
			return writeCPU(p, []step{
				{"fib", 1200 * time.Millisecond},
				{"sha", 1000 * time.Millisecond},
				{"sort", 1000 * time.Millisecond},
				{"mix", 400 * time.Millisecond},
			}, false)
		}},
		{"go-cpu-2.pb.gz", func(p string) error {
			return writeCPU(p, []step{
				{"map", 1500 * time.Millisecond},
				{"str", 1500 * time.Millisecond},
				{"fib", 500 * time.Millisecond},
			}, false)
		}},
		{"go-cpu-3.pb.gz", func(p string) error {
			// Two goroutines in parallel (machine has 2 cores).
			return writeCPU(p, []step{
				{"sha", 3 * time.Second},
				{"sort", 3 * time.Second},
			}, true)
		}},
		{"go-cpu-4.pb.gz", func(p string) error {
			return writeCPU(p, []step{
				{"str", 1000 * time.Millisecond},
				{"mix", 1000 * time.Millisecond},
				{"fib", 1000 * time.Millisecond},
				{"map", 500 * time.Millisecond},
			}, false)
		}},
		{"go-heap.pb.gz", func(p string) error {
			buildHeap()
			return writeHeap(p)
		}},
		{"go-allocs.pb.gz", func(p string) error {
			buildHeap()
			runtime.GC()
			return writeLookup("allocs", p)
		}},
		{"go-mutex.pb.gz", func(p string) error {
			runtime.SetMutexProfileFraction(1)
			var mu sync.Mutex
			contendMutex(&mu, 8, 3000)
			var rw sync.RWMutex
			contendRWMutex(&rw, 8, 3000)
			// Do not reset the fraction to 0 before writing: the mutex
			// profile values are scaled by the current fraction.
			return writeLookup("mutex", p)
		}},
		{"go-goroutine.pb.gz", writeGoroutine},
	}

	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *only == "" {
		// Generate each profile in its own child process so that profiles
		// (heap/allocs in particular) do not see each other's work.
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, g := range gens {
			cmd := exec.Command(self, "-out", *out, "-only", g.name)
			cmd.Stdout = os.Stdout
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", g.name, err)
				os.Exit(1)
			}
		}
		return
	}
	found := false
	for _, g := range gens {
		if *only != g.name {
			continue
		}
		found = true
		p := filepath.Join(*out, g.name)
		if err := g.fn(p); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", g.name, err)
			os.Exit(1)
		}
		data, _ := os.ReadFile(p)
		if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			fmt.Fprintf(os.Stderr, "%s: not gzip\n", g.name)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d bytes)\n", p, len(data))
	}
	if !found {
		fmt.Fprintf(os.Stderr, "unknown -only %q\n", *only)
		os.Exit(1)
	}
}
