package vectors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// The file of one index of the embedded store is an append-only log:
//
//	header:  "DPVECLOG" | version u32 | dimension u32 | crc32c(previous 16 bytes) u32
//	records: length u32 | crc32c(payload) u32 | payload[length]
//
// All integers are little-endian. A payload is one operation on up to
// MaxBatch vectors:
//
//	put:    0x01 | count uvarint | count × (key | metadata JSON | dimension × float32)
//	delete: 0x02 | count uvarint | count × key
//
// where key and metadata are uvarint length + bytes. Replaying the records
// in order rebuilds the index. A record is written with one write and then
// fsynced, so a crash leaves at most one incomplete record at the end of the
// file: Open detects it (short, or failing its checksum, with nothing but
// zero bytes after it) and truncates it away, so a torn write is never
// visible. A bad record with data after it is corruption, reported, not
// repaired. Compaction rewrites the live vectors into a temporary file,
// fsyncs it and renames it over the log.

const (
	logMagic      = "DPVECLOG"
	logVersion    = 1
	logHeaderSize = 20
	recHeaderSize = 8
	maxRecordSize = 64 << 20
	opPut         = 1
	opDelete      = 2
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt means an index file is damaged in a way a crash cannot explain.
var ErrCorrupt = errors.New("vector index file corrupt")

func encodeHeader(dim int) []byte {
	b := make([]byte, logHeaderSize)
	copy(b, logMagic)
	binary.LittleEndian.PutUint32(b[8:], logVersion)
	binary.LittleEndian.PutUint32(b[12:], uint32(dim))
	binary.LittleEndian.PutUint32(b[16:], crc32.Checksum(b[:16], crcTable))
	return b
}

func decodeHeader(b []byte) (dim int, err error) {
	if len(b) < logHeaderSize || string(b[:8]) != logMagic {
		return 0, fmt.Errorf("%w: not a vector index file", ErrCorrupt)
	}
	if crc32.Checksum(b[:16], crcTable) != binary.LittleEndian.Uint32(b[16:]) {
		return 0, fmt.Errorf("%w: header checksum", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != logVersion {
		return 0, fmt.Errorf("%w: unknown version %d", ErrCorrupt, v)
	}
	dim = int(binary.LittleEndian.Uint32(b[12:]))
	if validateDim(dim) != nil {
		return 0, fmt.Errorf("%w: dimension %d", ErrCorrupt, dim)
	}
	return dim, nil
}

// appendRecord appends a framed record holding payload to buf.
func appendRecord(buf, payload []byte) []byte {
	var h [recHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(payload, crcTable))
	return append(append(buf, h[:]...), payload...)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encodePut returns the payload of a put record.
func encodePut(vs []Vector) ([]byte, error) {
	b := []byte{opPut}
	b = binary.AppendUvarint(b, uint64(len(vs)))
	for i := range vs {
		meta, err := json.Marshal(&vs[i].Metadata)
		if err != nil {
			return nil, fmt.Errorf("encode metadata of %q: %w", vs[i].Key, err)
		}
		b = appendString(b, vs[i].Key)
		b = appendString(b, string(meta))
		for _, f := range vs[i].Data {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return b, nil
}

// encodeDelete returns the payload of a delete record.
func encodeDelete(keys []string) []byte {
	b := []byte{opDelete}
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
	}
	return b
}

// payloadReader decodes a payload; the first error sticks.
type payloadReader struct {
	b   []byte
	err error
}

func (r *payloadReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *payloadReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("field longer than the record")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// applyPayload replays one record into x.
func applyPayload(x *exactIndex, p []byte) error {
	if len(p) == 0 {
		return errors.New("empty record")
	}
	r := &payloadReader{b: p[1:]}
	count := r.uvarint()
	if count > MaxBatch {
		return fmt.Errorf("record of %d vectors", count)
	}
	switch p[0] {
	case opPut:
		data := make([]float32, x.dim)
		for i := uint64(0); i < count && r.err == nil; i++ {
			v := Vector{Key: string(r.bytes(r.uvarint())), Data: data}
			meta := r.bytes(r.uvarint())
			raw := r.bytes(uint64(4 * x.dim))
			if r.err != nil {
				break
			}
			if err := json.Unmarshal(meta, &v.Metadata); err != nil {
				return fmt.Errorf("metadata of %q: %w", v.Key, err)
			}
			for j := range data {
				data[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			}
			if err := validateVectors([]Vector{v}, x.dim); err != nil {
				return err
			}
			x.put(&v)
		}
	case opDelete:
		for i := uint64(0); i < count && r.err == nil; i++ {
			key := r.bytes(r.uvarint())
			if r.err == nil {
				x.delete(string(key))
			}
		}
	default:
		return fmt.Errorf("unknown operation %d", p[0])
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("trailing bytes")
	}
	return r.err
}

// replayResult is what reading a log found.
type replayResult struct {
	x       *exactIndex
	good    int64 // offset just after the last complete record
	size    int64 // file size
	entries int   // vectors and keys named by the complete records
}

// replay reads the log of size bytes in f from the start and rebuilds its
// index. It stops at an incomplete or torn final record (good < size then);
// a damaged record followed by anything but zero bytes is ErrCorrupt.
func replay(f io.ReaderAt, size int64) (*replayResult, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 1<<20)
	hdr := make([]byte, logHeaderSize)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, fmt.Errorf("%w: short header (%d bytes)", ErrCorrupt, size)
	}
	dim, err := decodeHeader(hdr)
	if err != nil {
		return nil, err
	}
	res := &replayResult{x: newExactIndex(dim), good: logHeaderSize, size: size}
	var rh [recHeaderSize]byte
	var payload []byte
	for res.good < size {
		// torn: the record runs past the end of the file, as an append cut
		// short by a crash leaves it; bad: it is damaged some other way.
		torn, bad := false, ""
		if _, err := io.ReadFull(br, rh[:]); err != nil {
			torn, bad = true, "short record header"
		} else if n := binary.LittleEndian.Uint32(rh[:]); n == 0 || n > maxRecordSize {
			bad = fmt.Sprintf("record length %d", n)
		} else {
			if cap(payload) < int(n) {
				payload = make([]byte, n)
			}
			payload = payload[:n]
			if _, err := io.ReadFull(br, payload); err != nil {
				torn, bad = true, "short record"
			} else if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(rh[4:]) {
				torn = res.good+recHeaderSize+int64(n) == size
				bad = "record checksum"
			}
		}
		if bad != "" {
			if !torn {
				// A file system may leave zeros after a crash instead.
				zero, err := zeroFrom(f, res.good, size)
				if err != nil {
					return nil, err
				}
				if !zero {
					return nil, fmt.Errorf("%w: %s at offset %d", ErrCorrupt, bad, res.good)
				}
			}
			return res, nil
		}
		if err := applyPayload(res.x, payload); err != nil {
			return nil, fmt.Errorf("%w: record at offset %d: %v", ErrCorrupt, res.good, err)
		}
		res.entries += countOf(payload)
		res.good += recHeaderSize + int64(len(payload))
	}
	return res, nil
}

func countOf(p []byte) int {
	n, _ := binary.Uvarint(p[1:])
	return int(n)
}

// zeroFrom reports whether f holds only zero bytes in [from, to).
func zeroFrom(f io.ReaderAt, from, to int64) (bool, error) {
	buf := make([]byte, 64<<10)
	for off := from; off < to; {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), to-off)], off)
		if !bytes.Equal(buf[:n], make([]byte, n)) {
			return false, nil
		}
		off += int64(n)
		if err != nil && off < to {
			return false, err
		}
	}
	return true, nil
}
