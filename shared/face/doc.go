// Package face finds, aligns and embeds faces: the YuNet and SCRFD detectors
// (resize, tensor preparation, output decoding, NMS, mapping back to the
// original upright photo), the 5-point similarity alignment onto the
// ArcFace 112x112 template, the ArcFace-style embedder, and the Engine that
// ties them to a model pack.
//
// It does not decode photos (shared/imaging does: decode with
// imaging.Options{MinLongSide: DecodeLongSide} so that alignment samples
// faces from a resolution well above the detector's input), does not find
// or download model files (shared/modelpack does), and does not own ONNX
// Runtime (shared/onnx does).
//
// Coordinates in a Face are always in the ORIGINAL upright photo's pixels
// (imaging.RGB.Scale maps the decoded image to it), whatever size the photo
// was decoded or resized to.
//
// quality.go measures each face (size, sharpness and flatness of the aligned
// chip, pose and layout of the landmarks, the detector's score) and judges
// it at a QualityLevel (NONE, LOW, MEDIUM, HIGH) for indexing.
//
// Pre- and post-processing are pure functions (resizeInto, fillTensor,
// decodeYuNet, decodeSCRFD, nms, similarity, warpChip) with their own tests;
// the types that hold ONNX sessions only sequence them.
package face
