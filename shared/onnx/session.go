//go:build cgo

package onnx

import (
	"fmt"
	"slices"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// Session is one model loaded once, run many times. It supports models with
// one float32 input and float32 outputs (every detector and recognizer here).
// See the package comment for its concurrency contract.
type Session struct {
	path    string
	inputs  []Info
	outputs []Info
	opts    Options

	mu       sync.Mutex
	s        *ort.DynamicAdvancedSession
	bindings map[string]*binding // by input shape
	outBuf   []Output
}

// binding holds the tensors reused for one input shape.
type binding struct {
	in  *ort.Tensor[float32]
	out []ort.Value // nil entries until the first Run allocates them
}

// Open loads the model at path (initialising ONNX Runtime on first use).
func Open(path string, opts Options) (*Session, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	if opts.IntraOpThreads <= 0 {
		opts.IntraOpThreads = 1
	}
	if opts.MaxShapes <= 0 {
		opts.MaxShapes = 4
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnx session options for %s: %w", path, err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(opts.IntraOpThreads); err != nil {
		return nil, fmt.Errorf("onnx intra-op threads for %s: %w", path, err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("onnx inter-op threads for %s: %w", path, err)
	}

	ins, outs, err := ioInfo(path)
	if err != nil {
		return nil, err
	}
	if len(ins) != 1 {
		return nil, fmt.Errorf("onnx model %s has %d inputs; sessions here support exactly one", path, len(ins))
	}
	s, err := ort.NewDynamicAdvancedSession(path, infoNames(ins), infoNames(outs), so)
	if err != nil {
		return nil, fmt.Errorf("onnx load %s: %w", path, err)
	}
	return &Session{
		path:     path,
		inputs:   ins,
		outputs:  outs,
		opts:     opts,
		s:        s,
		bindings: map[string]*binding{},
		outBuf:   make([]Output, len(outs)),
	}, nil
}

// ioInfo reads the model's input and output names and shapes through a
// throw-away session with graph optimisation off (cheap to create).
func ioInfo(path string) (ins, outs []Info, err error) {
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, nil, fmt.Errorf("onnx session options for %s: %w", path, err)
	}
	defer so.Destroy()
	_ = so.SetGraphOptimizationLevel(ort.GraphOptimizationLevelDisableAll)
	in, out, err := ort.GetInputOutputInfoWithOptions(path, so)
	if err != nil {
		return nil, nil, fmt.Errorf("onnx read inputs/outputs of %s: %w", path, err)
	}
	conv := func(xs []ort.InputOutputInfo) ([]Info, error) {
		r := make([]Info, len(xs))
		for i, x := range xs {
			if x.OrtValueType != ort.ONNXTypeTensor || x.DataType != ort.TensorElementDataTypeFloat {
				return nil, fmt.Errorf("onnx model %s: %s is not a float32 tensor", path, x.Name)
			}
			r[i] = Info{Name: x.Name, Shape: slices.Clone([]int64(x.Dimensions))}
		}
		return r, nil
	}
	if ins, err = conv(in); err != nil {
		return nil, nil, err
	}
	if outs, err = conv(out); err != nil {
		return nil, nil, err
	}
	return ins, outs, nil
}

func infoNames(xs []Info) []string {
	r := make([]string, len(xs))
	for i, x := range xs {
		r[i] = x.Name
	}
	return r
}

// Path is the model file the session was opened from.
func (s *Session) Path() string { return s.path }

// Input is the model's one input as declared (-1 for dynamic dimensions).
func (s *Session) Input() Info { return s.inputs[0] }

// Outputs are the model's outputs as declared, in the model's order.
func (s *Session) Outputs() []Info { return s.outputs }

// Run runs the model once on an input of the given shape. fill writes the
// input (len = product of shape; its previous contents are unspecified) and
// read gets the outputs in the model's order. Both callbacks run under the
// session's lock and must not keep the slices they are given.
func (s *Session) Run(shape []int64, fill func(in []float32) error, read func(out []Output) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return fmt.Errorf("onnx run %s: session closed", s.path)
	}
	b, err := s.binding(shape)
	if err != nil {
		return err
	}
	if err := fill(b.in.GetData()); err != nil {
		return err
	}
	if err := s.s.Run([]ort.Value{b.in}, b.out); err != nil {
		return fmt.Errorf("onnx run %s on input %v: %w", s.path, shape, err)
	}
	for i, v := range b.out {
		t, ok := v.(*ort.Tensor[float32])
		if !ok {
			return fmt.Errorf("onnx run %s: output %s is not a float32 tensor", s.path, s.outputs[i].Name)
		}
		s.outBuf[i] = Output{Name: s.outputs[i].Name, Shape: t.GetShape(), Data: t.GetData()}
	}
	return read(s.outBuf)
}

func (s *Session) binding(shape []int64) (*binding, error) {
	key := fmt.Sprint(shape)
	if b, ok := s.bindings[key]; ok {
		return b, nil
	}
	if len(s.bindings) >= s.opts.MaxShapes {
		for k, old := range s.bindings { // evict one, any
			old.destroy()
			delete(s.bindings, k)
			break
		}
	}
	in, err := ort.NewEmptyTensor[float32](ort.NewShape(shape...))
	if err != nil {
		return nil, fmt.Errorf("onnx input tensor %v for %s: %w", shape, s.path, err)
	}
	b := &binding{in: in, out: make([]ort.Value, len(s.outputs))}
	s.bindings[key] = b
	return b, nil
}

func (b *binding) destroy() {
	b.in.Destroy()
	for _, v := range b.out {
		if v != nil {
			v.Destroy()
		}
	}
}

// Close releases the session and its tensors. Runs after Close fail.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.s == nil {
		return nil
	}
	for k, b := range s.bindings {
		b.destroy()
		delete(s.bindings, k)
	}
	err := s.s.Destroy()
	s.s = nil
	return err
}
