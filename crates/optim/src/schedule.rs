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

    /// This schedule as a link of a `chained` schedule (torch's ChainedScheduler), where each link
    /// takes the rate the links before it set (`group`, torch's `group["lr"]`): at iteration 0
    /// (`loss = None`, torch's initial step) and after each step (`Some(loss)`), the rate it sets.
    ///
    /// The default ignores `group` and gives the schedule's own rate, as torch's schedules that
    /// compute from their base rate do (LambdaLR, OneCycleLR, CyclicLR,
    /// CosineAnnealingWarmRestarts). Chainable schedules (torch's recursive forms: ConstantLR,
    /// StepLR, MultiStepLR, ExponentialLR, LinearLR, PolynomialLR, CosineAnnealingLR,
    /// MultiplicativeLR) continue their recursion from `group` instead.
    fn chained(&mut self, group: f64, loss: Option<f64>) -> f64 {
        let _ = group;
        if let Some(loss) = loss {
            self.step(loss);
        }
        self.lr()
    }
}
