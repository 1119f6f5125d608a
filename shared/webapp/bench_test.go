package webapp_test

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
	"github.com/divinepic/pipeline/shared/webapp"
)

// bigAlbum makes an album of photos photos and about faces faces: two real
// photos processed by the real pipeline (Rob Lowe's and one of three
// people), then synthetic photos whose faces are random unit vectors, put
// straight into the album index and the vector store (running ONNX 10,000
// times would only make the setup slow, not the search different).
func bigAlbum(b *testing.B, e *env, album string, photos, faces int) {
	b.Helper()
	ctx := context.Background()
	tok := e.token("Bench")
	e.uploadAndProcess(tok, album, "Rob_Lowe_0001.jpg", "Test3.jpg")
	pack, err := e.p.Steps.Packs.Pack(e.p.Steps.DefaultPack)
	require.NoError(b, err)
	index, err := names.IndexForPack(pack.Version)
	require.NoError(b, err)
	idxKey := names.IndexKey(album, pack.Version)
	body, _, err := e.p.Bucket.Get(ctx, idxKey)
	require.NoError(b, err)
	var idx domain.AlbumIndex
	require.NoError(b, json.Unmarshal(body, &idx))
	rng := mrand.New(mrand.NewPCG(1, 2))
	dim := pack.Recognizer.EmbeddingDim
	perPhoto := float64(faces-4) / float64(photos-2)
	var vs []vectors.Vector
	made := 0
	for i := 0; len(idx.Images) < photos; i++ {
		key := fmt.Sprintf("%ssynthetic-%05d.jpg", names.AlbumPrefix(album), i)
		id := names.ImageID(key)
		n := int(math.Round(float64(i+1)*perPhoto)) - made
		made += n
		idx.Images[id] = domain.IndexEntry{Key: key, ETag: fmt.Sprintf("%032x", i), ImageID: id, Status: domain.StatusDone, Faces: n}
		for f := range n {
			v := make([]float32, dim)
			var norm float64
			for j := range v {
				v[j] = float32(rng.NormFloat64())
				norm += float64(v[j]) * float64(v[j])
			}
			for j := range v {
				v[j] /= float32(math.Sqrt(norm))
			}
			vs = append(vs, vectors.Vector{Key: names.VectorKey(album, id, f), Data: v, Metadata: vectors.Metadata{
				AlbumID: album, ImageID: id, FaceIndex: f, Pack: pack.Version, Box: [4]float32{10, 10, 110, 110}, Score: 0.9}})
		}
	}
	require.NoError(b, e.p.Steps.Vectors.Put(ctx, index, vs))
	body, err = json.Marshal(idx)
	require.NoError(b, err)
	_, err = e.p.Bucket.Put(ctx, idxKey, body)
	require.NoError(b, err)
	keys, err := e.p.Steps.Vectors.Keys(ctx, index, album)
	require.NoError(b, err)
	b.Logf("album %s: %d photos, %d faces (index %d KB)", album, len(idx.Images), len(keys), len(body)>>10)
}

// BenchmarkGuestSearch is a guest's search end to end through the HTTP
// server: the selfie's upload, decode, detect, embed, top-k among 30,000
// faces of 10,000 photos, the signed answer. Run it on one core:
//
//	go test -run '^$' -bench GuestSearch -benchtime 200x -cpu 1 ./shared/webapp/
func BenchmarkGuestSearch(b *testing.B) {
	e := newEnv(b, webapp.Options{GuestSearchesPerMinute: 1 << 30})
	bigAlbum(b, e, "big", 10_000, 30_000)
	link := e.app.GuestLink("big", time.Now().Add(time.Hour))
	selfie := readPhoto(b, "Rob_Lowe_0002.jpg")
	search := func() searchResult {
		form, ct := selfieForm(b, selfie)
		r := e.do("POST", "/api/g/"+link+"/search", "", form, "Content-Type", ct)
		require.Equal(b, 200, r.status, string(r.body))
		var res searchResult
		require.NoError(b, json.Unmarshal(r.body, &res))
		return res
	}
	first := search() // warm: engines loaded, index read
	require.Len(b, first.Photos, 1, "only Rob Lowe's photo matches")
	// The face engine alone on the selfie (decode, detect, align, embed),
	// interleaved with the searches so that both see the same machine: what
	// the search costs beyond the models' own work.
	pack, err := e.p.Steps.Packs.Pack(e.p.Steps.DefaultPack)
	require.NoError(b, err)
	eng, err := e.p.Steps.Engines.Engine(context.Background(), pack)
	require.NoError(b, err)
	engineOnly := func() {
		img, err := imaging.Decode(selfie, imaging.Options{MinLongSide: face.DecodeLongSide})
		require.NoError(b, err)
		faces, err := eng.Detect(img)
		require.NoError(b, err)
		chips, err := eng.Align(img, faces[:1])
		require.NoError(b, err)
		_, err = eng.Embed(chips)
		require.NoError(b, err)
	}
	took := make([]time.Duration, 0, b.N)
	engine := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		search()
		took = append(took, time.Since(start))
		b.StopTimer()
		start = time.Now()
		engineOnly()
		engine = append(engine, time.Since(start))
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(took)
	slices.Sort(engine)
	b.ReportMetric(ms(took[len(took)*50/100]), "p50-ms")
	b.ReportMetric(ms(took[min(len(took)-1, len(took)*95/100)]), "p95-ms")
	b.ReportMetric(ms(engine[len(engine)*50/100]), "engine-p50-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkUpload is `divinepic upload` into the local server: 16 new
// photos of 8 MB, checksummed (CRC32C), planned, PUT and streamed to disk
// with their MD5 (the ETag) computed on the way (fsync'd), against the
// same bytes written to the same disk by a plain copy with fsync, in the
// same run. alloc-per-photo-byte says photos are not held in memory;
// upload-cores is the CPU time the upload took (client and server, this
// process) over its wall time: under 2 on this 2-core machine means other
// work had the rest; upload-cpu-ns/byte is that CPU time per photo byte,
// of which one MD5 (the ETag, md5-1core-MB/s) is the most.
//
//	go test -run '^$' -bench Upload -benchtime 5x ./shared/webapp/
func BenchmarkUpload(b *testing.B) {
	e := newEnv(b, webapp.Options{})
	tok := e.token("Bench")
	dir := b.TempDir()
	const n, size = 16, 8 << 20
	buf := make([]byte, size)
	for i := range n {
		rand.Read(buf)
		copy(buf, []byte{0xff, 0xd8, 0xff, 0xe0}) // a JPEG by its first bytes
		require.NoError(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("IMG_%04d.jpg", i)), buf, 0o644))
	}
	c := e.client(tok)
	c.SkipProcessing = true
	ctx := context.Background()
	var uploadTime, uploadCPU, diskTime, md5Time time.Duration
	var allocs uint64
	b.SetBytes(n * size)
	b.ResetTimer()
	for i := range b.N {
		album := fmt.Sprintf("up%d", i)
		require.NoError(b, c.CreateAlbum(ctx, album, ""))
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		start := time.Now()
		res, err := c.Upload(ctx, album, dir, nil)
		uploadTime += time.Since(start)
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		uploadCPU += time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano())
		runtime.ReadMemStats(&m1)
		allocs += m1.TotalAlloc - m0.TotalAlloc
		require.NoError(b, err)
		require.Equal(b, n, res.Uploaded)
		// The disk's own speed: the same files, read, written and fsync'd.
		start = time.Now()
		diskCopy(b, dir, filepath.Join(e.dataDir, "disk", album))
		diskTime += time.Since(start)
		// One core's MD5 over the same bytes (the client hashes to skip what
		// is there, the server to check what arrives).
		start = time.Now()
		md5Files(b, dir)
		md5Time += time.Since(start)
	}
	b.StopTimer()
	total := float64(b.N) * n * size
	b.ReportMetric(total/(1<<20)/uploadTime.Seconds(), "upload-MB/s")
	b.ReportMetric(total/(1<<20)/diskTime.Seconds(), "disk-MB/s")
	b.ReportMetric(diskTime.Seconds()/uploadTime.Seconds(), "upload/disk")
	b.ReportMetric(total/(1<<20)/md5Time.Seconds(), "md5-1core-MB/s")
	b.ReportMetric(uploadCPU.Seconds()/uploadTime.Seconds(), "upload-cores")
	b.ReportMetric(float64(uploadCPU.Nanoseconds())/total, "upload-cpu-ns/byte")
	b.ReportMetric(float64(allocs)/total, "alloc-per-photo-byte")
}

func md5Files(b *testing.B, dir string) {
	ents, err := os.ReadDir(dir)
	require.NoError(b, err)
	for _, en := range ents {
		f, err := os.Open(filepath.Join(dir, en.Name()))
		require.NoError(b, err)
		_, err = io.Copy(md5.New(), f)
		require.NoError(b, err)
		f.Close()
	}
}

func diskCopy(b *testing.B, from, to string) {
	require.NoError(b, os.MkdirAll(to, 0o755))
	ents, err := os.ReadDir(from)
	require.NoError(b, err)
	for _, en := range ents {
		src, err := os.Open(filepath.Join(from, en.Name()))
		require.NoError(b, err)
		dst, err := os.Create(filepath.Join(to, en.Name()))
		require.NoError(b, err)
		_, err = dst.ReadFrom(src)
		require.NoError(b, err)
		require.NoError(b, dst.Sync())
		dst.Close()
		src.Close()
	}
}

// BenchmarkServeMemory is the server's heap over 1,000 guest searches: it
// must stay flat (the selfies are dropped, nothing accumulates).
//
//	go test -run '^$' -bench ServeMemory -benchtime 1x ./shared/webapp/
func BenchmarkServeMemory(b *testing.B) {
	e := newEnv(b, webapp.Options{GuestSearchesPerMinute: 1 << 30})
	tok := e.token("Bench")
	e.uploadAndProcess(tok, "mem", "Rob_Lowe_0001.jpg", "Test3.jpg", "t1.jpg")
	link := e.app.GuestLink("mem", time.Now().Add(time.Hour))
	selfie := readPhoto(b, "Rob_Lowe_0002.jpg")
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse) / (1 << 20)
	}
	var after100, after1000 float64
	for range b.N {
		for i := 1; i <= 1000; i++ {
			form, ct := selfieForm(b, selfie)
			r := e.do("POST", "/api/g/"+link+"/search", "", form, "Content-Type", ct)
			require.Equal(b, 200, r.status)
			if i == 100 {
				after100 = heap()
			}
		}
		after1000 = heap()
	}
	b.ReportMetric(after100, "heap-MB@100")
	b.ReportMetric(after1000, "heap-MB@1000")
	b.ReportMetric(after1000-after100, "growth-MB")
	if rss, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(rss), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				var kb float64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")), "%f", &kb)
				b.ReportMetric(kb/1024, "peak-RSS-MB")
			}
		}
	}
}
