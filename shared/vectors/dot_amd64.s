//go:build !purego

#include "textflag.h"

// func dotsInt8AVX2(q *int16, data *int8, n, stride int, out *int32)
//
// For each of the n vectors of stride int8 values at data, out[i] is the
// dot product with the stride int16 values at q. stride is a positive
// multiple of 32. The values are within ±127, so the int32 lanes cannot
// overflow for any stride up to 65536, far beyond MaxDimension.
TEXT ·dotsInt8AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ data+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ stride+24(FP), DX
	MOVQ out+32(FP), R8
	TESTQ CX, CX
	JE   done

vecloop:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	XORQ AX, AX
	MOVQ SI, R9

inner:
	VPMOVSXBW (DI)(AX*1), Y2
	VPMOVSXBW 16(DI)(AX*1), Y3
	VPMADDWD  (R9), Y2, Y2
	VPMADDWD  32(R9), Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ      $32, AX
	ADDQ      $64, R9
	CMPQ      AX, DX
	JB        inner

	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	MOVQ         X0, BX
	MOVL         BX, (R8)
	ADDQ         $4, R8
	ADDQ         DX, DI
	DECQ         CX
	JNZ          vecloop
	VZEROUPPER

done:
	RET
