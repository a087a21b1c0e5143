//! `Sgd`: the keys of torch.optim.SGD that the theory follows.

/// torch.optim.SGD's settings besides the learning rate (its defaults: all zero, no Nesterov).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sgd {
    /// Momentum β (0: plain gradient descent).
    pub momentum: f64,
    /// Dampening τ of the momentum buffer.
    pub dampening: f64,
    /// Nesterov's momentum.
    pub nesterov: bool,
    /// Weight decay w (L2, added to the gradient).
    pub weight_decay: f64,
}
