//! The `Schedule` trait: the learning rate of each iteration, as torch.optim.lr_scheduler.

/// A learning-rate schedule.
///
/// `lr()` is the rate the next optimizer step uses; `step(loss)` is called once after each optimizer
/// step (torch's `scheduler.step()`), with the loss of that iteration for schedules that read it.
pub trait Schedule: Send {
    /// The learning rate for the coming optimizer step.
    fn lr(&self) -> f64;
    /// Advance by one iteration; `loss` is the loss measured at that iteration.
    fn step(&mut self, loss: f64);
    /// The momentum (or β1) for the coming step, for schedules that cycle it (`onecycle`);
    /// `None` leaves the optimizer's own.
    fn momentum(&self) -> Option<f64> {
        None
    }
}
