//! `HostObjective`: a problem's objective and its exact gradient on host buffers, with no graph and no allocation per evaluation.

use descent_tensor::Real;

/// What one evaluation gives besides the gradient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostEval {
    /// The objective.
    pub loss: f64,
    /// `Σ g²` over every parameter's gradient, in `f64` (its square root is the gradient norm),
    /// computed in the same pass as the gradient where the kernel allows.
    pub grad_squares: f64,
}

/// The objective of a problem under a loss, with its gradient written into buffers the caller
/// keeps, in the element type `F`.
///
/// A problem gives one from [`crate::Problem::host_f32`] and [`crate::Problem::host_f64`]: its
/// prediction, the loss's derivative with respect to the prediction
/// ([`descent_losses::Elementwise`]), and the problem's vector-Jacobian product, all on host
/// slices. Runs use it by default (`gradient = "auto"`); candle's autodiff is the reference it is
/// tested against.
pub trait HostObjective<F: Real>: Send {
    /// The objective at `params` (one row-major buffer per parameter, in the order of
    /// [`crate::Problem::parameters`]), and its gradient written into `grads` (the same shapes;
    /// old values are not read).
    ///
    /// # Errors
    /// When a buffer's length is not its parameter's.
    fn evaluate(&mut self, params: &[Vec<F>], grads: &mut [Vec<F>]) -> Result<HostEval, String>;
}

/// `Err` naming the first buffer of `buffers` whose length is not `lengths`' entry.
pub(crate) fn check_lengths<F>(
    what: &str,
    buffers: &[Vec<F>],
    lengths: &[usize],
) -> Result<(), String> {
    if buffers.len() != lengths.len() {
        return Err(format!(
            "{} {what} buffers, the problem has {} parameters",
            buffers.len(),
            lengths.len()
        ));
    }
    for (k, (b, &n)) in buffers.iter().zip(lengths).enumerate() {
        if b.len() != n {
            return Err(format!(
                "{what} {k} has {} entries, the problem {n}",
                b.len()
            ));
        }
    }
    Ok(())
}
