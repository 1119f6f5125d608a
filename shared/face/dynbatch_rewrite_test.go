package face

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// A tiny model in the wire format: one input [1,3,2,2], a Reshape to the
// constant [1,12], one output [1,12].
func tinyModel(reshapeFirst int64) []byte {
	dim := func(v uint64) field {
		return field{num: shapeDim, wire: wireBytes, data: encodeFields([]field{{num: dimValue, wire: wireVarint, v: v}})}
	}
	valueInfo := func(name string, dims ...uint64) []byte {
		var sh []field
		for _, d := range dims {
			sh = append(sh, dim(d))
		}
		tt := encodeFields([]field{{num: 1, wire: wireVarint, v: 1}, {num: tensorShape, wire: wireBytes, data: encodeFields(sh)}})
		tp := encodeFields([]field{{num: typeTensor, wire: wireBytes, data: tt}})
		return encodeFields([]field{{num: valueInfoName, wire: wireBytes, data: []byte(name)}, {num: valueInfoType, wire: wireBytes, data: tp}})
	}
	raw := binary.LittleEndian.AppendUint64(nil, uint64(reshapeFirst))
	raw = binary.LittleEndian.AppendUint64(raw, 12)
	shape := encodeFields([]field{{num: tensorDims, wire: wireVarint, v: 2}, {num: tensorDataType, wire: wireVarint, v: int64Type},
		{num: tensorName, wire: wireBytes, data: []byte("shape")}, {num: tensorRaw, wire: wireBytes, data: raw}})
	node := encodeFields([]field{{num: nodeInput, wire: wireBytes, data: []byte("x")}, {num: nodeInput, wire: wireBytes, data: []byte("shape")},
		{num: nodeOutput, wire: wireBytes, data: []byte("y")}, {num: nodeOpType, wire: wireBytes, data: []byte("Reshape")}})
	graph := encodeFields([]field{
		{num: graphNode, wire: wireBytes, data: node},
		{num: graphInitializer, wire: wireBytes, data: shape},
		{num: graphInput, wire: wireBytes, data: valueInfo("x", 1, 3, 2, 2)},
		{num: graphOutput, wire: wireBytes, data: valueInfo("y", 1, 12)},
		{num: graphValueInfo, wire: wireBytes, data: valueInfo("hint", 1, 12)},
	})
	return encodeFields([]field{{num: 1, wire: wireVarint, v: 8}, {num: modelGraph, wire: wireBytes, data: graph}})
}

func TestDynamicBatchRewrite(t *testing.T) {
	out, err := dynamicBatch(tinyModel(1))
	require.NoError(t, err)
	top, err := parseFields(out)
	require.NoError(t, err)
	require.Len(t, top, 2)
	g, err := parseFields(top[1].data)
	require.NoError(t, err)
	var kinds []int
	for _, f := range g {
		kinds = append(kinds, f.num)
		switch f.num {
		case graphInput, graphOutput:
			require.Contains(t, string(f.data), "\x12\x01N", "first dimension is the parameter N")
		case graphInitializer:
			tf, err := parseFields(f.data)
			require.NoError(t, err)
			for _, x := range tf {
				if x.num == tensorRaw {
					require.EqualValues(t, 0, binary.LittleEndian.Uint64(x.data), "Reshape keeps the batch")
					require.EqualValues(t, 12, binary.LittleEndian.Uint64(x.data[8:]))
				}
			}
		}
	}
	require.Equal(t, []int{graphNode, graphInitializer, graphInput, graphOutput}, kinds, "value_info hints dropped, the rest kept in order")

	_, err = dynamicBatch(out)
	require.ErrorContains(t, err, "no input has a batch dimension fixed at 1", "already dynamic")
	_, err = dynamicBatch(tinyModel(4))
	require.ErrorContains(t, err, "starting with 4")
	_, err = dynamicBatch([]byte{0xff})
	require.Error(t, err)
}
