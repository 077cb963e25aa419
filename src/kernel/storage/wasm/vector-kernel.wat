;; The vector index's kernel, in WebAssembly 128-bit SIMD (no relaxed ops: every runtime with SIMD
;; runs it). vector-kernel-relaxed.wat adds a faster int8 scan where relaxed SIMD exists. Built by
;; tools/build-wasm.mjs into vector-kernel.wasm.ts; src/kernel/storage/vector-index.ts owns the
;; memory layout.
;;
;; Invariants the caller keeps (none are checked here: these are the hot loops):
;; - every pointer is a byte offset into this module's memory, 16-byte aligned;
;; - f32 rows are `stride` floats long (a multiple of 4) and int8 rows `stride` bytes long (a
;;   multiple of 16); a row's padding past the real dim is zero, so whatever the query holds there
;;   adds exactly 0 to every dot product;
;; - int8 row values lie in [-127, 127] (quantize_i8 clamps), and the i16 query is bounded so that
;;   128 * max|query| * stride < 2^31: int8 dot products cannot overflow i32.
(module
  (memory (export "memory") 1 65536)

  ;; max |x| over `len` floats (a multiple of 4) at `p`: NaN when any is NaN, +inf when any is
  ;; infinite, so one comparison validates a whole vector.
  (func (export "absmax") (param $p i32) (param $len i32) (result f32)
    (local $end i32) (local $m v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $len) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $m (f32x4.max (local.get $m) (f32x4.abs (v128.load (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $step)))
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
      (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))

  ;; dst[i] = clamp(nearest(src[i] * scale), -127, 127) as i8 for `len` floats (a multiple of 4);
  ;; returns the sum of the values written (the relaxed scan needs each row's sum).
  (func (export "quantize_i8") (param $src i32) (param $dst i32) (param $len i32) (param $scale f32) (result i32)
    (local $end i32) (local $s v128) (local $w v128) (local $sum v128)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $len) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $w
          (i32x4.max_s (i32x4.splat (i32.const -127))
            (i32x4.min_s (i32x4.splat (i32.const 127))
              (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load (local.get $src)) (local.get $s)))))))
        (local.set $sum (i32x4.add (local.get $sum) (local.get $w)))
        (local.set $w (i16x8.narrow_i32x4_s (local.get $w) (local.get $w)))
        (v128.store32_lane 0 (local.get $dst) (i8x16.narrow_i16x8_s (local.get $w) (local.get $w)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (br $step)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $sum)) (i32x4.extract_lane 1 (local.get $sum)))
      (i32.add (i32x4.extract_lane 2 (local.get $sum)) (i32x4.extract_lane 3 (local.get $sum)))))

  ;; dst[i] = i16(nearest(src[i] * scale)), saturating, for `len` floats (a multiple of 4): the
  ;; query of scan_i8, widened ahead so the scan widens only the rows.
  (func (export "quantize_i16") (param $src i32) (param $dst i32) (param $len i32) (param $scale f32)
    (local $end i32) (local $s v128) (local $w v128)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $len) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $w (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load (local.get $src)) (local.get $s)))))
        (v128.store64_lane 0 (local.get $dst) (i16x8.narrow_i32x4_s (local.get $w) (local.get $w)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br $step))))

  ;; The query of the relaxed scan, as two 7-bit halves: q = clamp(nearest(src[i] * scale), -8191,
  ;; 8191) + 8192 in [1, 16383]; hi[i] = q >> 7 and lo[i] = q & 127, both in [0, 127] (the range in
  ;; which relaxed_dot_i8x16_i7x16 gives the same result on every CPU).
  (func (export "quantize_u7x2") (param $src i32) (param $hi i32) (param $lo i32) (param $len i32) (param $scale f32)
    (local $end i32) (local $s v128) (local $w v128) (local $h v128)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $len) (i32.const 2))))
    (block $done
      (loop $step
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $w
          (i32x4.add (i32x4.splat (i32.const 8192))
            (i32x4.max_s (i32x4.splat (i32.const -8191))
              (i32x4.min_s (i32x4.splat (i32.const 8191))
                (i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (v128.load (local.get $src)) (local.get $s))))))))
        (local.set $h (i32x4.shr_u (local.get $w) (i32.const 7)))
        (local.set $h (i16x8.narrow_i32x4_s (local.get $h) (local.get $h)))
        (v128.store32_lane 0 (local.get $hi) (i8x16.narrow_i16x8_s (local.get $h) (local.get $h)))
        (local.set $w (v128.and (local.get $w) (i32x4.splat (i32.const 127))))
        (local.set $w (i16x8.narrow_i32x4_s (local.get $w) (local.get $w)))
        (v128.store32_lane 0 (local.get $lo) (i8x16.narrow_i16x8_s (local.get $w) (local.get $w)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $hi (i32.add (local.get $hi) (i32.const 4)))
        (local.set $lo (i32.add (local.get $lo) (i32.const 4)))
        (br $step))))

  ;; Dot product of two f32 rows of `len` floats (a multiple of 4). Four accumulators over 16
  ;; floats per step keep the adds independent; the order of the final sum is fixed, so the same
  ;; inputs always give the same bits (scan_f32 and gather_f32 agree exactly).
  (func $dot_f32 (param $a i32) (param $b i32) (param $len i32) (result f32)
    (local $end i32) (local $end16 i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $len) (i32.const 2))))
    (local.set $end16 (i32.add (local.get $a) (i32.shl (i32.and (local.get $len) (i32.const -16)) (i32.const 2))))
    (block $done16
      (loop $step16
        (br_if $done16 (i32.ge_u (local.get $a) (local.get $end16)))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $acc1 (f32x4.add (local.get $acc1) (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $acc2 (f32x4.add (local.get $acc2) (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))))
        (local.set $acc3 (f32x4.add (local.get $acc3) (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 64)))
        (local.set $b (i32.add (local.get $b) (i32.const 64)))
        (br $step16)))
    (block $done4
      (loop $step4
        (br_if $done4 (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $acc0 (f32x4.add (local.get $acc0) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $step4)))
    (local.set $acc0 (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1)) (f32x4.add (local.get $acc2) (local.get $acc3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))

  ;; out[i] = dot(query, row i) for the n f32 rows from `base`.
  (func (export "scan_f32") (param $query i32) (param $base i32) (param $n i32) (param $stride i32) (param $out i32)
    (local $end i32) (local $rowBytes i32)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (call $dot_f32 (local.get $base) (local.get $query) (local.get $stride)))
        (local.set $base (i32.add (local.get $base) (local.get $rowBytes)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))

  ;; out[j] = dot(query, the f32 row at address rows[j]) for `count` addresses (u32) at `rows`:
  ;; the exact re-rank of int8 candidates, bit-identical to scan_f32 for the same row.
  (func (export "gather_f32") (param $query i32) (param $rows i32) (param $count i32) (param $stride i32) (param $out i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $count) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (f32.store (local.get $out) (call $dot_f32 (i32.load (local.get $rows)) (local.get $query) (local.get $stride)))
        (local.set $rows (i32.add (local.get $rows) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))

  ;; out[i] = f32(dot_i32(query16, row i)) * scales[i] for the n int8 rows from `base`: the row's
  ;; scale makes scores of different rows comparable; the query's own scale is left out (it
  ;; multiplies every score alike, so the ranking is the same).
  (func (export "scan_i8") (param $query i32) (param $base i32) (param $scales i32) (param $n i32) (param $stride i32) (param $out i32)
    (local $end i32) (local $rowEnd i32) (local $rowEnd32 i32) (local $q i32) (local $v v128) (local $w v128)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $rowEnd (i32.add (local.get $base) (local.get $stride)))
        (local.set $rowEnd32 (i32.add (local.get $base) (i32.and (local.get $stride) (i32.const -32))))
        (local.set $q (local.get $query))
        (local.set $acc0 (v128.const i32x4 0 0 0 0))
        (local.set $acc1 (v128.const i32x4 0 0 0 0))
        (local.set $acc2 (v128.const i32x4 0 0 0 0))
        (local.set $acc3 (v128.const i32x4 0 0 0 0))
        (block $done32
          (loop $step32
            (br_if $done32 (i32.ge_u (local.get $base) (local.get $rowEnd32)))
            (local.set $v (v128.load (local.get $base)))
            (local.set $w (v128.load offset=16 (local.get $base)))
            (local.set $acc0 (i32x4.add (local.get $acc0) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (v128.load (local.get $q)))))
            (local.set $acc1 (i32x4.add (local.get $acc1) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (v128.load offset=16 (local.get $q)))))
            (local.set $acc2 (i32x4.add (local.get $acc2) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $w)) (v128.load offset=32 (local.get $q)))))
            (local.set $acc3 (i32x4.add (local.get $acc3) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $w)) (v128.load offset=48 (local.get $q)))))
            (local.set $base (i32.add (local.get $base) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br $step32)))
        (if (i32.lt_u (local.get $base) (local.get $rowEnd))
          (then
            (local.set $v (v128.load (local.get $base)))
            (local.set $acc0 (i32x4.add (local.get $acc0) (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)) (v128.load (local.get $q)))))
            (local.set $acc1 (i32x4.add (local.get $acc1) (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v)) (v128.load offset=16 (local.get $q)))))
            (local.set $base (local.get $rowEnd))))
        (local.set $acc0 (i32x4.add (i32x4.add (local.get $acc0) (local.get $acc1)) (i32x4.add (local.get $acc2) (local.get $acc3))))
        (f32.store (local.get $out)
          (f32.mul
            (f32.convert_i32_s
              (i32.add
                (i32.add (i32x4.extract_lane 0 (local.get $acc0)) (i32x4.extract_lane 1 (local.get $acc0)))
                (i32.add (i32x4.extract_lane 2 (local.get $acc0)) (i32x4.extract_lane 3 (local.get $acc0)))))
            (f32.load (local.get $scales))))
        (local.set $scales (i32.add (local.get $scales) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $row))))

  ;; The first i in [from, n) with scores[i] >= threshold (scores: f32 at `p`), or n: lets top-k
  ;; selection skip, 16 at a time, the scores that cannot enter its heap. NaN never matches.
  (func (export "next_ge") (param $p i32) (param $i i32) (param $n i32) (param $t f32) (result i32)
    (local $tv v128) (local $at i32) (local $end16 i32)
    (local.set $tv (f32x4.splat (local.get $t)))
    ;; One at a time up to a multiple of 16 (16-byte aligned loads after it).
    (block $aligned
      (loop $head
        (if (i32.ge_u (local.get $i) (local.get $n)) (then (return (local.get $n))))
        (br_if $aligned (i32.eqz (i32.and (local.get $i) (i32.const 15))))
        (if (f32.ge (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $t)) (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $head)))
    (local.set $end16 (i32.and (local.get $n) (i32.const -16)))
    (block $found
      (loop $group
        (br_if $found (i32.ge_u (local.get $i) (local.get $end16)))
        (local.set $at (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (br_if $found
          (v128.any_true
            (v128.or
              (v128.or (f32x4.ge (v128.load (local.get $at)) (local.get $tv)) (f32x4.ge (v128.load offset=16 (local.get $at)) (local.get $tv)))
              (v128.or (f32x4.ge (v128.load offset=32 (local.get $at)) (local.get $tv)) (f32x4.ge (v128.load offset=48 (local.get $at)) (local.get $tv))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $group)))
    ;; The group that matched (or the tail), one at a time.
    (block $none
      (loop $tail
        (br_if $none (i32.ge_u (local.get $i) (local.get $n)))
        (if (f32.ge (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $t)) (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $n))
)
