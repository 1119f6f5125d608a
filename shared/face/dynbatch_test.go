package face

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// This file holds an experiment, not the engine: the shipped recognizer
// (faceplugin) fixes its batch at 1, so EmbedFaces runs one face per ONNX
// Run. dynamicBatch rewrites such a model to take any batch, and
// BenchmarkEmbedBatch (batch_test.go) measures whether batching pays: on
// this project's machine it does not (the same CPU time for 1 and 3 faces,
// 5% more for 7), so the engine keeps one face per Run. Kept so that the
// measurement can be made again on other machines and recognizers.

// dynamicBatch rewrites an ONNX model whose batch dimension is fixed at 1
// (a recognizer exported by tracing one chip) so that it takes any batch:
// the first dimension of the graph's inputs and outputs becomes the
// symbolic "N", the intermediate shapes recorded by the exporter
// (value_info, only hints) are dropped, and every Reshape whose target
// shape is a constant starting with 1 gets 0 there instead ("keep the
// input's first dimension"). Weights are untouched. A model it cannot
// rewrite safely (a Reshape fed by a computed shape, or none of its
// inputs fixed at batch 1) is an error; the caller keeps the model as it is.
//
// It reads and writes the protobuf wire format directly (ModelProto →
// GraphProto → ValueInfoProto/NodeProto/TensorProto), keeping every field
// it does not change byte for byte.
func dynamicBatch(model []byte) ([]byte, error) {
	top, err := parseFields(model)
	if err != nil {
		return nil, fmt.Errorf("onnx model: %w", err)
	}
	done := false
	for i := range top {
		if top[i].num != modelGraph || top[i].wire != wireBytes {
			continue
		}
		g, err := dynamicBatchGraph(top[i].data)
		if err != nil {
			return nil, err
		}
		top[i].data, done = g, true
	}
	if !done {
		return nil, errors.New("onnx model: no graph")
	}
	return encodeFields(top), nil
}

// Field numbers of onnx.proto.
const (
	modelGraph = 7

	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
	graphValueInfo   = 13

	nodeInput  = 1
	nodeOutput = 2
	nodeOpType = 4
	nodeAttr   = 5

	attrName = 1
	attrT    = 5

	tensorDims     = 1
	tensorDataType = 2
	tensorInt64    = 7
	tensorName     = 8
	tensorRaw      = 9

	valueInfoName = 1
	valueInfoType = 2
	typeTensor    = 1
	tensorShape   = 2
	shapeDim      = 1
	dimValue      = 1
	dimParam      = 2

	int64Type = 7 // TensorProto.DataType INT64
)

func dynamicBatchGraph(graph []byte) ([]byte, error) {
	fs, err := parseFields(graph)
	if err != nil {
		return nil, fmt.Errorf("onnx graph: %w", err)
	}
	initializers := map[string]bool{}
	reshapeShapes := map[string]bool{} // names of the second inputs of Reshape nodes
	constants := map[string]int{}      // Constant node outputs → index of the node in fs
	for i, f := range fs {
		switch f.num {
		case graphInitializer:
			t, _ := parseFields(f.data)
			initializers[stringField(t, tensorName)] = true
		case graphNode:
			n, err := parseFields(f.data)
			if err != nil {
				return nil, err
			}
			switch stringField(n, nodeOpType) {
			case "Reshape":
				ins := stringFields(n, nodeInput)
				if len(ins) < 2 {
					return nil, errors.New("onnx graph: a Reshape with no shape input")
				}
				reshapeShapes[ins[1]] = true
			case "Constant":
				for _, o := range stringFields(n, nodeOutput) {
					constants[o] = i
				}
			}
		}
	}
	changedInput := false
	out := fs[:0]
	for _, f := range fs {
		switch {
		case f.num == graphValueInfo:
			continue // shape hints of the traced batch: dropped
		case f.num == graphInput || f.num == graphOutput:
			vi, err := parseFields(f.data)
			if err != nil {
				return nil, err
			}
			if initializers[stringField(vi, valueInfoName)] {
				break // an initializer listed as an input (old exporters)
			}
			data, changed, err := batchDimToParam(vi)
			if err != nil {
				return nil, err
			}
			f.data = data
			changedInput = changedInput || (changed && f.num == graphInput)
		case f.num == graphInitializer:
			t, err := parseFields(f.data)
			if err != nil {
				return nil, err
			}
			if reshapeShapes[stringField(t, tensorName)] {
				if f.data, err = keepFirstDim(t); err != nil {
					return nil, err
				}
				delete(reshapeShapes, stringField(t, tensorName))
			}
		case f.num == graphNode:
			n, err := parseFields(f.data)
			if err != nil {
				return nil, err
			}
			if stringField(n, nodeOpType) == "Constant" && len(stringFields(n, nodeOutput)) == 1 && reshapeShapes[stringFields(n, nodeOutput)[0]] {
				for j := range n {
					if n[j].num != nodeAttr {
						continue
					}
					a, err := parseFields(n[j].data)
					if err != nil {
						return nil, err
					}
					for k := range a {
						if a[k].num == attrT {
							t, err := parseFields(a[k].data)
							if err != nil {
								return nil, err
							}
							if a[k].data, err = keepFirstDim(t); err != nil {
								return nil, err
							}
						}
					}
					n[j].data = encodeFields(a)
				}
				delete(reshapeShapes, stringFields(n, nodeOutput)[0])
				f.data = encodeFields(n)
			}
		}
		out = append(out, f)
	}
	if len(reshapeShapes) > 0 {
		return nil, errors.New("onnx graph: a Reshape takes a computed shape; the batch cannot be made dynamic safely")
	}
	if !changedInput {
		return nil, errors.New("onnx graph: no input has a batch dimension fixed at 1")
	}
	return encodeFields(out), nil
}

// batchDimToParam sets the first dimension of a ValueInfoProto's tensor
// shape to "N" when it is the constant 1.
func batchDimToParam(vi []field) ([]byte, bool, error) {
	changed := false
	for i := range vi {
		if vi[i].num != valueInfoType {
			continue
		}
		tp, err := parseFields(vi[i].data)
		if err != nil {
			return nil, false, err
		}
		for j := range tp {
			if tp[j].num != typeTensor {
				continue
			}
			tt, err := parseFields(tp[j].data)
			if err != nil {
				return nil, false, err
			}
			for k := range tt {
				if tt[k].num != tensorShape {
					continue
				}
				sh, err := parseFields(tt[k].data)
				if err != nil {
					return nil, false, err
				}
				for d := range sh {
					if sh[d].num != shapeDim {
						continue
					}
					dim, err := parseFields(sh[d].data)
					if err != nil {
						return nil, false, err
					}
					if len(dim) == 1 && dim[0].num == dimValue && dim[0].wire == wireVarint && dim[0].v == 1 {
						sh[d].data = encodeFields([]field{{num: dimParam, wire: wireBytes, data: []byte("N")}})
						changed = true
					}
					break // the first dimension only
				}
				tt[k].data = encodeFields(sh)
			}
			tp[j].data = encodeFields(tt)
		}
		vi[i].data = encodeFields(tp)
	}
	return encodeFields(vi), changed, nil
}

// keepFirstDim turns an INT64 shape tensor starting with 1 into one
// starting with 0 (Reshape: copy the input's dimension).
func keepFirstDim(t []field) ([]byte, error) {
	if v, ok := varintField(t, tensorDataType); !ok || v != int64Type {
		return nil, errors.New("onnx graph: a Reshape shape that is not INT64")
	}
	for i := range t {
		switch {
		case t[i].num == tensorRaw && len(t[i].data) >= 8:
			first := int64(binary.LittleEndian.Uint64(t[i].data))
			if first == 0 {
				return encodeFields(t), nil
			}
			if first != 1 {
				return nil, fmt.Errorf("onnx graph: a Reshape to a shape starting with %d, not the batch", first)
			}
			raw := append([]byte(nil), t[i].data...)
			binary.LittleEndian.PutUint64(raw, 0)
			t[i].data = raw
			return encodeFields(t), nil
		case t[i].num == tensorInt64 && t[i].wire == wireBytes: // packed
			vals, err := parseVarints(t[i].data)
			if err != nil || len(vals) == 0 {
				return nil, errors.New("onnx graph: a malformed Reshape shape")
			}
			if vals[0] != 1 && vals[0] != 0 {
				return nil, fmt.Errorf("onnx graph: a Reshape to a shape starting with %d, not the batch", int64(vals[0]))
			}
			vals[0] = 0
			var b []byte
			for _, v := range vals {
				b = binary.AppendUvarint(b, v)
			}
			t[i].data = b
			return encodeFields(t), nil
		}
	}
	return nil, errors.New("onnx graph: a Reshape shape with no values")
}

// The protobuf wire format, as far as ONNX files need it.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

type field struct {
	num  int
	wire int
	v    uint64 // varint and fixed values
	data []byte // length-delimited payload
}

func parseFields(b []byte) ([]field, error) {
	var fs []field
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("malformed protobuf tag")
		}
		b = b[n:]
		f := field{num: int(tag >> 3), wire: int(tag & 7)}
		switch f.wire {
		case wireVarint:
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return nil, errors.New("malformed protobuf varint")
			}
			f.v, b = v, b[n:]
		case wireFixed64:
			if len(b) < 8 {
				return nil, errors.New("truncated protobuf fixed64")
			}
			f.v, b = binary.LittleEndian.Uint64(b), b[8:]
		case wireFixed32:
			if len(b) < 4 {
				return nil, errors.New("truncated protobuf fixed32")
			}
			f.v, b = uint64(binary.LittleEndian.Uint32(b)), b[4:]
		case wireBytes:
			l, n := binary.Uvarint(b)
			if n <= 0 || l > math.MaxInt32 || uint64(len(b)-n) < l {
				return nil, errors.New("malformed protobuf length")
			}
			f.data, b = b[n:n+int(l)], b[n+int(l):]
		default:
			return nil, fmt.Errorf("unsupported protobuf wire type %d", f.wire)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

func encodeFields(fs []field) []byte {
	var b []byte
	for _, f := range fs {
		b = binary.AppendUvarint(b, uint64(f.num)<<3|uint64(f.wire))
		switch f.wire {
		case wireVarint:
			b = binary.AppendUvarint(b, f.v)
		case wireFixed64:
			b = binary.LittleEndian.AppendUint64(b, f.v)
		case wireFixed32:
			b = binary.LittleEndian.AppendUint32(b, uint32(f.v))
		case wireBytes:
			b = binary.AppendUvarint(b, uint64(len(f.data)))
			b = append(b, f.data...)
		}
	}
	return b
}

func parseVarints(b []byte) ([]uint64, error) {
	var out []uint64
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return nil, errors.New("malformed packed varints")
		}
		out, b = append(out, v), b[n:]
	}
	return out, nil
}

func stringField(fs []field, num int) string {
	for _, f := range fs {
		if f.num == num && f.wire == wireBytes {
			return string(f.data)
		}
	}
	return ""
}

func stringFields(fs []field, num int) []string {
	var out []string
	for _, f := range fs {
		if f.num == num && f.wire == wireBytes {
			out = append(out, string(f.data))
		}
	}
	return out
}

func varintField(fs []field, num int) (uint64, bool) {
	for _, f := range fs {
		if f.num == num && f.wire == wireVarint {
			return f.v, true
		}
	}
	return 0, false
}
