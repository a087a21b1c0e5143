//! `LinearHost`: the host objective of a problem linear in its one parameter, `X A` or `A X` against a target, under any elementwise loss.

use descent_losses::{Elementwise, Term, WithTerm, add_terms};
use descent_tensor::gemm::{Operand, matmul};
use descent_tensor::{Real, SUM_LANES, TorchSum, add_squares, sum_squares};

use crate::LinearForm;
use crate::host::{HostEval, HostObjective, check_lengths};

/// For `P = X A` (left) or `A X` (right) and a loss `Σ f(P - T)` (scaled): the loss and the
/// gradient `R Aᵀ` (left) or `Aᵀ R` (right), with `R` the loss's derivative with respect to `P`.
/// Two matrix products, where autodiff makes them plus a graph.
///
/// The products run on host buffers ([`descent_tensor::gemm`]: plain loops for small shapes,
/// faer's threaded gemm for large ones). Square instances of size 2, 3, 4, 8 or 16, alone or in a
/// batch, run through fixed-size kernels that compute the residual, the loss's term and
/// derivative, the gradient and its squares in one pass per instance. Other batches run
/// instance by instance.
#[derive(Debug)]
pub struct LinearHost<F> {
    left: bool,
    batch: usize,
    /// One instance's `A`: `n x m`.
    n: usize,
    m: usize,
    /// One instance's target: `tr x tc`.
    tr: usize,
    tc: usize,
    loss: Elementwise,
    /// `A` and the target in `F`, row-major, instances stacked by rows; one instance's block
    /// only when every instance has the same (a batch of one matrix: the batch then reads a
    /// tenth of the memory per iteration).
    a: Vec<F>,
    t: Vec<F>,
    /// The residual's buffer, kept between evaluations: a fresh multi-megabyte allocation every
    /// iteration costs the kernel's page zeroing (about 8% of an n = 1024 profile).
    residual: Vec<F>,
    /// The instruction set pulp chose, found once (finding it reads a dozen CPU feature flags).
    arch: pulp::Arch,
}

impl<F: Real> LinearHost<F> {
    /// The host objective of `form` under `loss` (given one instance's entries), or `None`
    /// when the loss has no elementwise form.
    pub fn new(form: &LinearForm, loss: &dyn descent_losses::Loss) -> Option<Self> {
        let batch = form.batch.max(1);
        // A batch's objective is the sum of its instances' losses: each instance's own scale.
        let (tr, tc) = (form.target.rows() / batch, form.target.cols());
        let loss = loss.elementwise(tr * tc)?;
        // Each instance's block in F, or the first alone when all are the same.
        let cast = |v: &[f64]| {
            let block = v.len() / batch;
            let shared = block > 0 && v.chunks_exact(block).all(|b| b == &v[..block]);
            let v = if shared { &v[..block] } else { v };
            v.iter().map(|&x| F::host(x)).collect::<Vec<F>>()
        };
        Some(Self {
            left: form.left,
            batch,
            n: form.a.rows() / batch,
            m: form.a.cols(),
            tr,
            tc,
            loss,
            a: cast(form.a.data()),
            t: cast(form.target.data()),
            residual: Vec::new(),
            arch: pulp::Arch::new(),
        })
    }

    /// The parameter's entries per instance: `X` is `tr x n` (left) or `m x tc` (right).
    fn x_len(&self) -> usize {
        if self.left {
            self.tr * self.n
        } else {
            self.m * self.tc
        }
    }
}

impl<F: Real> HostObjective<F> for LinearHost<F> {
    fn evaluate(&mut self, params: &[Vec<F>], grads: &mut [Vec<F>]) -> Result<HostEval, String> {
        let x_len = self.x_len();
        let total = self.batch * x_len;
        check_lengths("parameter", params, &[total])?;
        check_lengths("gradient", grads, &[total])?;
        let (x, g) = (&params[0], &mut grads[0]);
        let (n, m, tr, tc) = (self.n, self.m, self.tr, self.tc);
        if n == m && m == tr && tr == tc {
            let kernel = Squares {
                left: self.left,
                x,
                a: &self.a,
                t: &self.t,
                g,
            };
            // In a copy compiled for the CPU's best instruction set (pulp's dispatch, as
            // descent_tensor's sums): AVX2's sixteen 8-lane registers hold an instance without
            // spilling. No fused multiply-add is formed, so the bits are the same in every copy.
            let done = fixed_kernel(self.arch, n, &self.loss, kernel);
            if let Some((sum, grad_squares)) = done {
                return Ok(HostEval {
                    loss: self.loss.finish(sum),
                    grad_squares,
                });
            }
        }
        // Instance by instance through the general products.
        let d = &mut self.residual;
        // Every entry is written below before it is read, so a reused buffer needs no clearing.
        d.resize(self.batch * tr * tc, F::zero());
        let (a_blocks, t_blocks) = (
            self.a.chunks_exact(n * m).cycle(),
            self.t.chunks_exact(tr * tc).cycle(),
        );
        let instances = d
            .chunks_exact_mut(tr * tc)
            .zip(x.chunks_exact(x_len))
            .zip(a_blocks.zip(t_blocks));
        for ((d, x), (a, t)) in instances {
            if self.left {
                matmul(d, Operand::new(x, tr, n), Operand::new(a, n, m), F::one());
            } else {
                matmul(d, Operand::new(a, n, m), Operand::new(x, m, tc), F::one());
            }
            for (d, &t) in d.iter_mut().zip(t) {
                *d -= t;
            }
        }
        let loss = self.loss.value_and_derivative(d);
        let instances = g
            .chunks_exact_mut(x_len)
            .zip(d.chunks_exact(tr * tc))
            .zip(self.a.chunks_exact(n * m).cycle());
        for ((g, d), a) in instances {
            if self.left {
                matmul(g, Operand::new(d, tr, tc), Operand::t(a, n, m), F::one());
            } else {
                matmul(g, Operand::t(a, n, m), Operand::new(d, tr, tc), F::one());
            }
        }
        Ok(HostEval {
            loss,
            grad_squares: sum_squares(g),
        })
    }
}

/// The fixed-size kernel for `n`, if there is one, run under pulp's chosen instruction set. The
/// size is chosen before pulp's dispatch, so each dispatched copy holds one kernel (one copy for
/// every size made a function with a 14 KB stack frame, probed on every call).
fn fixed_kernel<F: Real>(
    arch: pulp::Arch,
    n: usize,
    loss: &Elementwise,
    kernel: Squares<'_, F>,
) -> Option<(F, f64)> {
    // One A and one target for every instance, on the left: row by row (below).
    if kernel.left && kernel.a.len() == n * n && kernel.t.len() == n * n {
        // A single instance in one block of its own n rows; a batch in blocks of 64 rows.
        let single = kernel.x.len() == n * n;
        return match (n, single) {
            (2, true) => simd(arch, loss, Rows::<_, 2, 2>(kernel)),
            (3, true) => simd(arch, loss, Rows::<_, 3, 3>(kernel)),
            (4, true) => simd(arch, loss, Rows::<_, 4, 4>(kernel)),
            (8, true) => simd(arch, loss, Rows::<_, 8, 8>(kernel)),
            (16, true) => simd(arch, loss, Rows::<_, 16, 16>(kernel)),
            (2, false) => simd(arch, loss, Rows::<_, 2, ROWS>(kernel)),
            (3, false) => simd(arch, loss, Rows::<_, 3, ROWS>(kernel)),
            (4, false) => simd(arch, loss, Rows::<_, 4, ROWS>(kernel)),
            (8, false) => simd(arch, loss, Rows::<_, 8, ROWS>(kernel)),
            (16, false) => simd(arch, loss, Rows::<_, 16, ROWS>(kernel)),
            _ => None,
        };
    }
    match n {
        2 => simd(arch, loss, Fixed::<_, 2>(kernel)),
        3 => simd(arch, loss, Fixed::<_, 3>(kernel)),
        4 => simd(arch, loss, Fixed::<_, 4>(kernel)),
        8 => simd(arch, loss, Fixed::<_, 8>(kernel)),
        16 => simd(arch, loss, Fixed::<_, 16>(kernel)),
        _ => None,
    }
}

/// `kernel` with `loss`'s term, under pulp's chosen instruction set.
fn simd<F: Real, K: WithTerm<F, Output = Option<(F, f64)>>>(
    arch: pulp::Arch,
    loss: &Elementwise,
    kernel: K,
) -> Option<(F, f64)> {
    arch.dispatch(InSimd {
        loss,
        kernel,
        element: std::marker::PhantomData,
    })
}

/// [`simd`]'s code for pulp.
struct InSimd<'a, F, K> {
    loss: &'a Elementwise,
    kernel: K,
    element: std::marker::PhantomData<F>,
}

impl<F: Real, K: WithTerm<F, Output = Option<(F, f64)>>> pulp::WithSimd for InSimd<'_, F, K> {
    type Output = Option<(F, f64)>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        self.loss.dispatch(self.kernel)
    }
}

/// The operands of a batch of square instances stored one after another: the parameter `x`,
/// the constant `a`, the target `t` and the gradient `g`, for `D = X A - T` (`left`) or `A X - T`.
struct Squares<'a, F> {
    left: bool,
    x: &'a [F],
    a: &'a [F],
    t: &'a [F],
    g: &'a mut [F],
}

/// [`Squares`] with instances of size `N x N`.
struct Fixed<'a, F, const N: usize>(Squares<'a, F>);

impl<F: Real, const N: usize> WithTerm<F> for Fixed<'_, F, N> {
    /// The sum of the loss's terms (in PyTorch's order, in `F`) and of the gradient's squares
    /// (in `f64`).
    type Output = Option<(F, f64)>;

    /// For each instance: `D = X A - T` (left) or `A X - T` (right), `R` = the loss's
    /// derivative at `D`, and the gradient `R Aᵀ` (left) or `Aᵀ R` (right), every block `N x N`
    /// row-major. With `N` known at compile time the loops unroll into vector code; the sums run
    /// in the same order as [`descent_tensor::gemm`]'s loops.
    #[inline(always)]
    fn with<T: Term<F>>(self, term: T) -> Self::Output {
        let Squares { left, x, a, t, g } = self.0;
        let size = N * N;
        // The loss's terms in PyTorch's order; the gradient's squares in per-column partial
        // sums (N independent chains of additions, not one long one).
        let (mut sums, mut squares) = (TorchSum::new(x.len()), [0.0f64; N]);
        // `a` and `t` hold one block per instance, or one for all (then cycled).
        let blocks = x
            .chunks_exact(size)
            .zip(a.chunks_exact(size).cycle())
            .zip(t.chunks_exact(size).cycle())
            .zip(g.chunks_exact_mut(size));
        for (((x, a), t), g) in blocks {
            let (x, a, t) = (rows::<F, N>(x), rows::<F, N>(a), rows::<F, N>(t));
            // D = L R - T row by row (each row of D a sum of rows of R, in gemm's order), then
            // the loss's derivative R in place.
            let (l, r) = if left { (&x, &a) } else { (&a, &x) };
            let mut dm = [[F::zero(); N]; N];
            for i in 0..N {
                let mut row = [F::zero(); N];
                for k in 0..N {
                    for j in 0..N {
                        row[j] += l[i][k] * r[k][j];
                    }
                }
                for j in 0..N {
                    let (value, derivative) = term.at(row[j] - t[i][j]);
                    sums.push(F::host(value));
                    row[j] = derivative;
                }
                dm[i] = row;
            }
            // The gradient row by row: left, (R Aᵀ)_i = Σ_k R_ik (Aᵀ)_k; right, (Aᵀ R)_i =
            // Σ_k A_ki R_k. Each entry sums over k in order, as gemm's loops.
            let at = if left { transpose(&a) } else { a };
            for (i, out) in g.chunks_exact_mut(N).enumerate() {
                let mut row = [F::zero(); N];
                for k in 0..N {
                    let c = if left { dm[i][k] } else { at[k][i] };
                    let v = if left { &at[k] } else { &dm[k] };
                    for j in 0..N {
                        row[j] += c * v[j];
                    }
                }
                for j in 0..N {
                    let w = row[j].widen();
                    squares[j] += w * w;
                }
                out.copy_from_slice(&row);
            }
        }
        Some((sums.finish(), squares.iter().sum()))
    }
}

/// [`Squares`] on the left with one `A` and one target `T` for every instance (a single problem,
/// or a batch of one matrix): row `r` of `D = X A - T` is `Σ_k X_rk A_k - T_(r mod N)`, and row
/// `r` of the gradient `Σ_k R_rk (Aᵀ)_k`, so the whole stack streams row by row with `A` and `Aᵀ`
/// held in registers. The sums run over k in order, as the instance kernel's and gemm's.
struct Rows<'a, F, const N: usize, const R: usize>(Squares<'a, F>);

impl<F: Real, const N: usize, const R: usize> WithTerm<F> for Rows<'_, F, N, R> {
    type Output = Option<(F, f64)>;

    /// Blocks of `R` rows in four passes: the residual rows, the loss's terms and
    /// derivatives over the block as one flat slice, the gradient rows, the gradient's squares
    /// over the block's flat slice. The loss's terms go into a `TorchSum` (PyTorch's order); the
    /// squares into eight `f64` partial sums, so that pass vectorizes (one long chain of
    /// additions per row did not).
    #[inline(always)]
    fn with<T: Term<F>>(self, term: T) -> Self::Output {
        let Squares { x, a, t, g, .. } = self.0;
        let (a, t) = (rows::<F, N>(a), rows::<F, N>(t));
        let at = transpose(&a);
        let (mut sums, mut squares) = (TorchSum::new(x.len()), [0.0f64; SUM_LANES]);
        let (xs, _) = x.as_chunks::<N>();
        let (gs, _) = g.as_chunks_mut::<N>();
        let mut block = [[F::zero(); N]; R];
        // The row's place in its instance, for the target's row.
        let mut row = 0;
        for (xb, gb) in xs.chunks(R).zip(gs.chunks_mut(R)) {
            let block = &mut block[..xb.len()];
            for (xr, d) in xb.iter().zip(block.iter_mut()) {
                let mut out = [F::zero(); N];
                for k in 0..N {
                    for j in 0..N {
                        out[j] += xr[k] * a[k][j];
                    }
                }
                for j in 0..N {
                    out[j] -= t[row][j];
                }
                *d = out;
                row = if row + 1 == N { 0 } else { row + 1 };
            }
            add_terms(&mut sums, block.as_flattened_mut(), term);
            for (d, gr) in block.iter().zip(gb.iter_mut()) {
                let mut out = [F::zero(); N];
                for k in 0..N {
                    for j in 0..N {
                        out[j] += d[k] * at[k][j];
                    }
                }
                *gr = out;
            }
            add_squares(&mut squares, gb.as_flattened());
        }
        Some((sums.finish(), squares.iter().sum()))
    }
}

/// Rows per block of [`Rows`] for a batch: 64 rows of 16 f32 entries are 4 KB, well inside L1.
const ROWS: usize = 64;

/// The `N x N` row-major block `s` as an array of rows.
#[inline(always)]
fn rows<F: Real, const N: usize>(s: &[F]) -> [[F; N]; N] {
    let mut out = [[F::zero(); N]; N];
    for (o, r) in out.iter_mut().zip(s.chunks_exact(N)) {
        o.copy_from_slice(r);
    }
    out
}

/// The transpose of an `N x N` block.
#[inline(always)]
fn transpose<F: Real, const N: usize>(m: &[[F; N]; N]) -> [[F; N]; N] {
    let mut out = [[F::zero(); N]; N];
    for (i, row) in m.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            out[j][i] = v;
        }
    }
    out
}
