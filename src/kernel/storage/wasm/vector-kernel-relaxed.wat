;; The int8 scan with relaxed SIMD (i32x4.relaxed_dot_i8x16_i7x16_add_s: one instruction per 16
;; bytes, e.g. VPDPBUSD), for runtimes that have it; it shares vector-kernel.wat's memory. Built by
;; tools/build-wasm.mjs into vector-kernel.wasm.ts.
;;
;; relaxed_dot_i8x16_i7x16 is only deterministic when the second operand's lanes are in [0, 127],
;; and when no pair sum saturates i16. So rows are the signed operand (values in [-127, 127]: pair
;; sums stay within 2 * 127 * 127 = 32258) and the query comes as two unsigned 7-bit halves of
;; q + 8192 (quantize_u7x2 in vector-kernel.wat):
;;   dot(row, q) = 128 * dot(row, hi) + dot(row, lo) - 8192 * sum(row)
;; Each half's dot is at most 127 * 127 * dim, under 2^31 for every dim up to 133k; the three terms
;; are combined in f64, where they are exact.
;; Pointers are 16-byte aligned; rows are `stride` bytes (a multiple of 16), zero-padded.
(module
  (import "kernel" "memory" (memory 1 65536))

  ;; out[i] = f32(scale[i] * dot(row i, q)) for the n int8 rows from `base`, with the query's
  ;; halves at `hi` and `lo` and each row's sum in `sums` (i32).
  (func (export "scan_i8_relaxed") (param $hi i32) (param $lo i32) (param $base i32) (param $scales i32) (param $sums i32) (param $n i32) (param $stride i32) (param $out i32)
    (local $end i32) (local $rowEnd i32) (local $rowEnd32 i32) (local $qh i32) (local $ql i32) (local $v v128) (local $w v128)
    (local $h0 v128) (local $h1 v128) (local $l0 v128) (local $l1 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $rowEnd (i32.add (local.get $base) (local.get $stride)))
        (local.set $rowEnd32 (i32.add (local.get $base) (i32.and (local.get $stride) (i32.const -32))))
        (local.set $qh (local.get $hi))
        (local.set $ql (local.get $lo))
        (local.set $h0 (v128.const i32x4 0 0 0 0))
        (local.set $h1 (v128.const i32x4 0 0 0 0))
        (local.set $l0 (v128.const i32x4 0 0 0 0))
        (local.set $l1 (v128.const i32x4 0 0 0 0))
        (block $done32
          (loop $step32
            (br_if $done32 (i32.ge_u (local.get $base) (local.get $rowEnd32)))
            (local.set $v (v128.load (local.get $base)))
            (local.set $w (v128.load offset=16 (local.get $base)))
            (local.set $h0 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (v128.load (local.get $qh)) (local.get $h0)))
            (local.set $l0 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (v128.load (local.get $ql)) (local.get $l0)))
            (local.set $h1 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $w) (v128.load offset=16 (local.get $qh)) (local.get $h1)))
            (local.set $l1 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $w) (v128.load offset=16 (local.get $ql)) (local.get $l1)))
            (local.set $base (i32.add (local.get $base) (i32.const 32)))
            (local.set $qh (i32.add (local.get $qh) (i32.const 32)))
            (local.set $ql (i32.add (local.get $ql) (i32.const 32)))
            (br $step32)))
        (if (i32.lt_u (local.get $base) (local.get $rowEnd))
          (then
            (local.set $v (v128.load (local.get $base)))
            (local.set $h0 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (v128.load (local.get $qh)) (local.get $h0)))
            (local.set $l0 (i32x4.relaxed_dot_i8x16_i7x16_add_s (local.get $v) (v128.load (local.get $ql)) (local.get $l0)))
            (local.set $base (local.get $rowEnd))))
        (local.set $h0 (i32x4.add (local.get $h0) (local.get $h1)))
        (local.set $l0 (i32x4.add (local.get $l0) (local.get $l1)))
        (f32.store (local.get $out)
          (f32.demote_f64
            (f64.mul
              (f64.promote_f32 (f32.load (local.get $scales)))
              (f64.sub
                (f64.add
                  (f64.mul (f64.const 128)
                    (f64.convert_i32_s
                      (i32.add
                        (i32.add (i32x4.extract_lane 0 (local.get $h0)) (i32x4.extract_lane 1 (local.get $h0)))
                        (i32.add (i32x4.extract_lane 2 (local.get $h0)) (i32x4.extract_lane 3 (local.get $h0))))))
                  (f64.convert_i32_s
                    (i32.add
                      (i32.add (i32x4.extract_lane 0 (local.get $l0)) (i32x4.extract_lane 1 (local.get $l0)))
                      (i32.add (i32x4.extract_lane 2 (local.get $l0)) (i32x4.extract_lane 3 (local.get $l0))))))
                (f64.mul (f64.const 8192) (f64.convert_i32_s (i32.load (local.get $sums))))))))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $sums (i32.add (local.get $sums) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))
)
