;; The comparator's hot loop for float32 rows, in WebAssembly SIMD (see wasm-kernel.ts, which runs it,
;; and metrics.ts, whose rules it implements). Assembled into wasm-kernel-bytes.ts by
;; `node scripts/build-compare-kernel.mjs` (it installs the wabt package into a temp folder if needed).
;;
;; Elements are taken four at a time (one f32x4 of golden, one of actual, widened to two f64x2), in
;; float64 like the JavaScript comparator. A group of four whose elements may matter one by one — a
;; non-finite value, or |a-g| / allowed above the worst list's cut — is only summed here (finite
;; pairs) and listed for JavaScript to finish; every other group is done here in full.
;;
;; Memory (bytes):
;;   0     f64 atol          8 f64 rtol       16 f64 cut·(1-2^-50)
;;   24    f64 maxRel (in/out)                32 f64 largest |a-g| - rtol·|g| (in/out)
;;   40    i64 mismatches (in/out)
;;   1024  i32 histogram counts, 4 ways (one per lane) × 64 bins (way stride 256)
;;   2048  f64 HIST_START[0..63]: the smallest |a-g| of each bin
;;   4096  u8  HIST_CELLS[131072]: bin of each cell's smallest value (cell: top 18 bits of a float64)
;;   the caller's: dimMax f64[dim], row outputs f64[5] per row (dot, ‖a‖², ‖g‖², Σ|a-g|, max |a-g|),
;;   the rare-group list i32[], golden and actual f32[rows·dim]. dim is a multiple of 4; all
;;   addresses are 16-byte aligned.
(module
  (import "env" "memory" (memory 1))

  ;; maxRel over the lanes of one f64x2 pair where |a-g| > 0 and |g| > atol (exact division).
  (func $rel (param $d v128) (param $ag v128) (param $atol f64) (param $max f64) (result f64)
    (local $x f64) (local $y f64) (local $r f64)
    (local.set $x (f64x2.extract_lane 0 (local.get $d)))
    (local.set $y (f64x2.extract_lane 0 (local.get $ag)))
    (if (i32.and (f64.gt (local.get $x) (f64.const 0)) (f64.gt (local.get $y) (local.get $atol)))
      (then
        (local.set $r (f64.div (local.get $x) (local.get $y)))
        (if (f64.gt (local.get $r) (local.get $max)) (then (local.set $max (local.get $r))))))
    (local.set $x (f64x2.extract_lane 1 (local.get $d)))
    (local.set $y (f64x2.extract_lane 1 (local.get $ag)))
    (if (i32.and (f64.gt (local.get $x) (f64.const 0)) (f64.gt (local.get $y) (local.get $atol)))
      (then
        (local.set $r (f64.div (local.get $x) (local.get $y)))
        (if (f64.gt (local.get $r) (local.get $max)) (then (local.set $max (local.get $r))))))
    (local.get $max))

  ;; Rows [0, $rows) of $dim float32 values at $g and $a; returns how many rare groups it listed at
  ;; $rare (group index = element index / 4, from $g).
  (func (export "rows") (param $g i32) (param $a i32) (param $rows i32) (param $dim i32)
      (param $dimMax i32) (param $out i32) (param $rare i32) (result i32)
    (local $atol v128) (local $rtol v128) (local $cut v128) (local $relCut v128) (local $inf v128)
    (local $atolS f64) (local $maxRel f64)
    (local $mism v128) (local $need v128)
    (local $r i32) (local $k i32) (local $q i32) (local $n i32) (local $dp i32)
    (local $sum0 v128) (local $sum1 v128) (local $dot0 v128) (local $dot1 v128)
    (local $na0 v128) (local $na1 v128) (local $ng0 v128) (local $ng1 v128) (local $mx0 v128) (local $mx1 v128)
    (local $g4 v128) (local $a4 v128) (local $gl v128) (local $gh v128) (local $al v128) (local $ah v128)
    (local $dl v128) (local $dh v128) (local $agl v128) (local $agh v128)
    (local $scl v128) (local $sch v128) (local $okl v128) (local $okh v128) (local $fl v128) (local $fh v128)
    (local $x f64) (local $c i32)

    (local.set $atolS (f64.load (i32.const 0)))
    (local.set $atol (f64x2.splat (local.get $atolS)))
    (local.set $rtol (f64x2.splat (f64.load (i32.const 8))))
    (local.set $cut (f64x2.splat (f64.load (i32.const 16))))
    (local.set $maxRel (f64.load (i32.const 24)))
    (local.set $relCut (f64x2.splat (f64.mul (local.get $maxRel) (f64.const 0x1.ffffffffffffcp-1))))
    (local.set $need (f64x2.splat (f64.load (i32.const 32))))
    (local.set $mism (i64x2.splat (i64.const 0)))
    (local.set $inf (f64x2.splat (f64.const inf)))

    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $sum0 (v128.const i64x2 0 0)) (local.set $sum1 (v128.const i64x2 0 0))
        (local.set $dot0 (v128.const i64x2 0 0)) (local.set $dot1 (v128.const i64x2 0 0))
        (local.set $na0 (v128.const i64x2 0 0)) (local.set $na1 (v128.const i64x2 0 0))
        (local.set $ng0 (v128.const i64x2 0 0)) (local.set $ng1 (v128.const i64x2 0 0))
        (local.set $mx0 (v128.const i64x2 0 0)) (local.set $mx1 (v128.const i64x2 0 0))
        (local.set $k (i32.const 0))
        (local.set $dp (local.get $dimMax))
        (loop $group
          (local.set $g4 (v128.load (local.get $g)))
          (local.set $a4 (v128.load (local.get $a)))
          (local.set $gl (f64x2.promote_low_f32x4 (local.get $g4)))
          (local.set $gh (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $g4) (local.get $g4))))
          (local.set $al (f64x2.promote_low_f32x4 (local.get $a4)))
          (local.set $ah (f64x2.promote_low_f32x4
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $a4) (local.get $a4))))
          (local.set $dl (f64x2.abs (f64x2.sub (local.get $al) (local.get $gl))))
          (local.set $dh (f64x2.abs (f64x2.sub (local.get $ah) (local.get $gh))))
          (local.set $agl (f64x2.abs (local.get $gl)))
          (local.set $agh (f64x2.abs (local.get $gh)))
          (local.set $scl (f64x2.mul (local.get $rtol) (local.get $agl)))
          (local.set $sch (f64x2.mul (local.get $rtol) (local.get $agh)))
          ;; allowed = atol + rtol·|g|; a lane is ordinary when |a-g| <= fl(cut'·allowed) (then its
          ;; ratio cannot exceed the cut) and |a-g| is finite (so are a and g: they are float32).
          (local.set $okl (v128.and
            (f64x2.le (local.get $dl) (f64x2.mul (local.get $cut) (f64x2.add (local.get $atol) (local.get $scl))))
            (f64x2.lt (local.get $dl) (local.get $inf))))
          (local.set $okh (v128.and
            (f64x2.le (local.get $dh) (f64x2.mul (local.get $cut) (f64x2.add (local.get $atol) (local.get $sch))))
            (f64x2.lt (local.get $dh) (local.get $inf))))
          (if (i64x2.all_true (v128.and (local.get $okl) (local.get $okh)))
            (then
              (local.set $sum0 (f64x2.add (local.get $sum0) (local.get $dl)))
              (local.set $sum1 (f64x2.add (local.get $sum1) (local.get $dh)))
              (local.set $dot0 (f64x2.add (local.get $dot0) (f64x2.mul (local.get $al) (local.get $gl))))
              (local.set $dot1 (f64x2.add (local.get $dot1) (f64x2.mul (local.get $ah) (local.get $gh))))
              (local.set $na0 (f64x2.add (local.get $na0) (f64x2.mul (local.get $al) (local.get $al))))
              (local.set $na1 (f64x2.add (local.get $na1) (f64x2.mul (local.get $ah) (local.get $ah))))
              (local.set $ng0 (f64x2.add (local.get $ng0) (f64x2.mul (local.get $gl) (local.get $gl))))
              (local.set $ng1 (f64x2.add (local.get $ng1) (f64x2.mul (local.get $gh) (local.get $gh))))
              (local.set $mx0 (f64x2.pmax (local.get $mx0) (local.get $dl)))
              (local.set $mx1 (f64x2.pmax (local.get $mx1) (local.get $dh)))
              (v128.store (local.get $dp) (f64x2.pmax (v128.load (local.get $dp)) (local.get $dl)))
              (v128.store offset=16 (local.get $dp) (f64x2.pmax (v128.load offset=16 (local.get $dp)) (local.get $dh)))
              ;; mismatch: |a-g| > allowed (all-ones lanes are -1)
              (local.set $mism (i64x2.sub (local.get $mism)
                (f64x2.gt (local.get $dl) (f64x2.add (local.get $atol) (local.get $scl)))))
              (local.set $mism (i64x2.sub (local.get $mism)
                (f64x2.gt (local.get $dh) (f64x2.add (local.get $atol) (local.get $sch)))))
              (local.set $need (f64x2.pmax (local.get $need) (f64x2.sub (local.get $dl) (local.get $scl))))
              (local.set $need (f64x2.pmax (local.get $need) (f64x2.sub (local.get $dh) (local.get $sch))))
              ;; maxRel: divide only where |a-g| > fl(maxRel'·|g|), i.e. where a new maximum is possible
              (if (v128.any_true (v128.or
                    (f64x2.gt (local.get $dl) (f64x2.mul (local.get $relCut) (local.get $agl)))
                    (f64x2.gt (local.get $dh) (f64x2.mul (local.get $relCut) (local.get $agh)))))
                (then
                  (local.set $maxRel (call $rel (local.get $dl) (local.get $agl) (local.get $atolS) (local.get $maxRel)))
                  (local.set $maxRel (call $rel (local.get $dh) (local.get $agh) (local.get $atolS) (local.get $maxRel)))
                  (local.set $relCut (f64x2.splat (f64.mul (local.get $maxRel) (f64.const 0x1.ffffffffffffcp-1))))))
              ;; Histogram, one way per lane: bin = HIST_CELLS[top 18 bits] (the bin of the cell's
              ;; smallest value), plus one when a bin starts inside the cell at or below |a-g|.
              (local.set $x (f64x2.extract_lane 0 (local.get $dl)))
              (local.set $c (i32.load8_u offset=4096 (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 46)))))
              (local.set $c (i32.add (local.get $c) (f64.ge (local.get $x) (f64.load offset=2056 (i32.shl (local.get $c) (i32.const 3))))))
              (local.set $c (i32.shl (local.get $c) (i32.const 2)))
              (i32.store offset=1024 (local.get $c) (i32.add (i32.load offset=1024 (local.get $c)) (i32.const 1)))
              (local.set $x (f64x2.extract_lane 1 (local.get $dl)))
              (local.set $c (i32.load8_u offset=4096 (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 46)))))
              (local.set $c (i32.add (local.get $c) (f64.ge (local.get $x) (f64.load offset=2056 (i32.shl (local.get $c) (i32.const 3))))))
              (local.set $c (i32.shl (local.get $c) (i32.const 2)))
              (i32.store offset=1280 (local.get $c) (i32.add (i32.load offset=1280 (local.get $c)) (i32.const 1)))
              (local.set $x (f64x2.extract_lane 0 (local.get $dh)))
              (local.set $c (i32.load8_u offset=4096 (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 46)))))
              (local.set $c (i32.add (local.get $c) (f64.ge (local.get $x) (f64.load offset=2056 (i32.shl (local.get $c) (i32.const 3))))))
              (local.set $c (i32.shl (local.get $c) (i32.const 2)))
              (i32.store offset=1536 (local.get $c) (i32.add (i32.load offset=1536 (local.get $c)) (i32.const 1)))
              (local.set $x (f64x2.extract_lane 1 (local.get $dh)))
              (local.set $c (i32.load8_u offset=4096 (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $x)) (i64.const 46)))))
              (local.set $c (i32.add (local.get $c) (f64.ge (local.get $x) (f64.load offset=2056 (i32.shl (local.get $c) (i32.const 3))))))
              (local.set $c (i32.shl (local.get $c) (i32.const 2)))
              (i32.store offset=1792 (local.get $c) (i32.add (i32.load offset=1792 (local.get $c)) (i32.const 1))))
            (else
              ;; Rare: list it; sum its finite pairs here, so that sums do not depend on what was rare.
              (i32.store (i32.add (local.get $rare) (i32.shl (local.get $n) (i32.const 2))) (local.get $q))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))
              (local.set $fl (f64x2.lt (local.get $dl) (local.get $inf)))
              (local.set $fh (f64x2.lt (local.get $dh) (local.get $inf)))
              (local.set $sum0 (f64x2.add (local.get $sum0) (v128.and (local.get $dl) (local.get $fl))))
              (local.set $sum1 (f64x2.add (local.get $sum1) (v128.and (local.get $dh) (local.get $fh))))
              (local.set $dot0 (f64x2.add (local.get $dot0) (v128.and (f64x2.mul (local.get $al) (local.get $gl)) (local.get $fl))))
              (local.set $dot1 (f64x2.add (local.get $dot1) (v128.and (f64x2.mul (local.get $ah) (local.get $gh)) (local.get $fh))))
              (local.set $na0 (f64x2.add (local.get $na0) (v128.and (f64x2.mul (local.get $al) (local.get $al)) (local.get $fl))))
              (local.set $na1 (f64x2.add (local.get $na1) (v128.and (f64x2.mul (local.get $ah) (local.get $ah)) (local.get $fh))))
              (local.set $ng0 (f64x2.add (local.get $ng0) (v128.and (f64x2.mul (local.get $gl) (local.get $gl)) (local.get $fl))))
              (local.set $ng1 (f64x2.add (local.get $ng1) (v128.and (f64x2.mul (local.get $gh) (local.get $gh)) (local.get $fh))))))
          (local.set $g (i32.add (local.get $g) (i32.const 16)))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $dp (i32.add (local.get $dp) (i32.const 32)))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (local.set $k (i32.add (local.get $k) (i32.const 4)))
          (br_if $group (i32.lt_u (local.get $k) (local.get $dim))))
        ;; Row outputs; lanes combined in a fixed order.
        (f64.store offset=0 (local.get $out) (f64.add
          (f64.add (f64x2.extract_lane 0 (local.get $dot0)) (f64x2.extract_lane 1 (local.get $dot0)))
          (f64.add (f64x2.extract_lane 0 (local.get $dot1)) (f64x2.extract_lane 1 (local.get $dot1)))))
        (f64.store offset=8 (local.get $out) (f64.add
          (f64.add (f64x2.extract_lane 0 (local.get $na0)) (f64x2.extract_lane 1 (local.get $na0)))
          (f64.add (f64x2.extract_lane 0 (local.get $na1)) (f64x2.extract_lane 1 (local.get $na1)))))
        (f64.store offset=16 (local.get $out) (f64.add
          (f64.add (f64x2.extract_lane 0 (local.get $ng0)) (f64x2.extract_lane 1 (local.get $ng0)))
          (f64.add (f64x2.extract_lane 0 (local.get $ng1)) (f64x2.extract_lane 1 (local.get $ng1)))))
        (f64.store offset=24 (local.get $out) (f64.add
          (f64.add (f64x2.extract_lane 0 (local.get $sum0)) (f64x2.extract_lane 1 (local.get $sum0)))
          (f64.add (f64x2.extract_lane 0 (local.get $sum1)) (f64x2.extract_lane 1 (local.get $sum1)))))
        (local.set $mx0 (f64x2.pmax (local.get $mx0) (local.get $mx1)))
        (f64.store offset=32 (local.get $out)
          (f64.max (f64x2.extract_lane 0 (local.get $mx0)) (f64x2.extract_lane 1 (local.get $mx0))))
        (local.set $out (i32.add (local.get $out) (i32.const 40)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))

    (f64.store (i32.const 24) (local.get $maxRel))
    (f64.store (i32.const 32)
      (f64.max (f64x2.extract_lane 0 (local.get $need)) (f64x2.extract_lane 1 (local.get $need))))
    (i64.store (i32.const 40) (i64.add (i64.load (i32.const 40))
      (i64.add (i64x2.extract_lane 0 (local.get $mism)) (i64x2.extract_lane 1 (local.get $mism)))))
    (local.get $n))
)
