;; y = bias + x · wᵀ in float64: the reference's Linear layers and attention products
;; (src/backends/reference/wasm-products.ts drives it; products.ts has the plain loops it replaces).
;;
;; Every y[r][c] is bias[c] + x[r][0]·w[c][0] + x[r][1]·w[c][1] + … added in that order, one rounding
;; per multiply and per add (f64x2.mul then f64x2.add, never a fused multiply-add): exactly what the
;; plain loop `acc = b[c]; for (i…) acc += x[i] * w[c][i]` computes, so results are bit-identical to
;; it. The speed comes from 4 rows × 4 columns at once: eight f64x2 accumulators that stay in
;; registers, each weight loaded once per 4 rows and each x value once per 4 columns, and weights
;; packed so that the inner loop reads them sequentially.
;;
;; Layout (byte addresses, 16-byte aligned):
;;   x     rows × k, row-major; rows a multiple of 4 (the caller pads with zero rows)
;;   w     packed in panels of 4 output columns: panel p holds w[4p..4p+3][kk] for kk = 0..k-1,
;;         4 values per kk, contiguous (k × 4 values per panel)
;;   bias  n values
;;   y     rows × n, row-major
;;   n     a multiple of 4 (the caller pads columns with zero weights)
(module
  (import "env" "memory" (memory 1 65536))
  (func (export "gemm")
    (param $x i32) (param $w i32) (param $bias i32) (param $y i32)
    (param $rows i32) (param $k i32) (param $n i32)
    (local $col i32) (local $row i32) (local $kk i32)
    (local $panel i32) (local $pw i32) (local $px i32) (local $stride i32) (local $py i32)
    (local $w01 v128) (local $w23 v128) (local $v v128)
    (local $a00 v128) (local $a01 v128) (local $a10 v128) (local $a11 v128)
    (local $a20 v128) (local $a21 v128) (local $a30 v128) (local $a31 v128)
    (local.set $stride (i32.shl (local.get $k) (i32.const 3)))
    ;; Panel by panel: a panel (k × 4 values) stays in cache while every row block reads it.
    (local.set $col (i32.const 0))
    (block $cols_done
      (loop $cols
        (br_if $cols_done (i32.ge_u (local.get $col) (local.get $n)))
        (local.set $panel (i32.add (local.get $w) (i32.shl (i32.mul (local.get $col) (local.get $k)) (i32.const 3))))
        (local.set $row (i32.const 0))
        (block $rows_done
          (loop $rows_loop
            (br_if $rows_done (i32.ge_u (local.get $row) (local.get $rows)))
            (local.set $a00 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 3)))))
            (local.set $a01 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $col) (i32.const 3)))))
            (local.set $a10 (local.get $a00)) (local.set $a11 (local.get $a01))
            (local.set $a20 (local.get $a00)) (local.set $a21 (local.get $a01))
            (local.set $a30 (local.get $a00)) (local.set $a31 (local.get $a01))
            (local.set $px (i32.add (local.get $x) (i32.mul (local.get $row) (local.get $stride))))
            (local.set $pw (local.get $panel))
            (local.set $kk (local.get $k))
            (block $k_done
              (loop $k_loop
                (br_if $k_done (i32.eqz (local.get $kk)))
                (local.set $w01 (v128.load (local.get $pw)))
                (local.set $w23 (v128.load offset=16 (local.get $pw)))
                (local.set $v (f64x2.splat (f64.load (local.get $px))))
                (local.set $a00 (f64x2.add (local.get $a00) (f64x2.mul (local.get $v) (local.get $w01))))
                (local.set $a01 (f64x2.add (local.get $a01) (f64x2.mul (local.get $v) (local.get $w23))))
                (local.set $v (f64x2.splat (f64.load (i32.add (local.get $px) (local.get $stride)))))
                (local.set $a10 (f64x2.add (local.get $a10) (f64x2.mul (local.get $v) (local.get $w01))))
                (local.set $a11 (f64x2.add (local.get $a11) (f64x2.mul (local.get $v) (local.get $w23))))
                (local.set $v (f64x2.splat (f64.load (i32.add (local.get $px) (i32.shl (local.get $stride) (i32.const 1))))))
                (local.set $a20 (f64x2.add (local.get $a20) (f64x2.mul (local.get $v) (local.get $w01))))
                (local.set $a21 (f64x2.add (local.get $a21) (f64x2.mul (local.get $v) (local.get $w23))))
                (local.set $v (f64x2.splat (f64.load (i32.add (local.get $px) (i32.mul (local.get $stride) (i32.const 3))))))
                (local.set $a30 (f64x2.add (local.get $a30) (f64x2.mul (local.get $v) (local.get $w01))))
                (local.set $a31 (f64x2.add (local.get $a31) (f64x2.mul (local.get $v) (local.get $w23))))
                (local.set $pw (i32.add (local.get $pw) (i32.const 32)))
                (local.set $px (i32.add (local.get $px) (i32.const 8)))
                (local.set $kk (i32.sub (local.get $kk) (i32.const 1)))
                (br $k_loop)))
            ;; y[row + r][col .. col + 3]
            (local.set $py (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $row) (local.get $n)) (local.get $col)) (i32.const 3))))
            (v128.store (local.get $py) (local.get $a00))
            (v128.store offset=16 (local.get $py) (local.get $a01))
            (local.set $py (i32.add (local.get $py) (i32.shl (local.get $n) (i32.const 3))))
            (v128.store (local.get $py) (local.get $a10))
            (v128.store offset=16 (local.get $py) (local.get $a11))
            (local.set $py (i32.add (local.get $py) (i32.shl (local.get $n) (i32.const 3))))
            (v128.store (local.get $py) (local.get $a20))
            (v128.store offset=16 (local.get $py) (local.get $a21))
            (local.set $py (i32.add (local.get $py) (i32.shl (local.get $n) (i32.const 3))))
            (v128.store (local.get $py) (local.get $a30))
            (v128.store offset=16 (local.get $py) (local.get $a31))
            (local.set $row (i32.add (local.get $row) (i32.const 4)))
            (br $rows_loop)))
        (local.set $col (i32.add (local.get $col) (i32.const 4)))
        (br $cols))))
)
