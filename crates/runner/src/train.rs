//! The loop: objective, backward, optimizer step, schedule; records and checkpoints go to observers.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use candle_core::Device;
use descent_losses::Loss;
use descent_optim::{Optimizer, Transform};
use descent_problems::{HostObjective, Problem, ProblemError};
use descent_tensor::{Dtype, Matrix, Real};

use crate::config::{Config, GradientKind};
use crate::context::RunContext;
use crate::error::ConfigError;
use crate::evaluate::Evaluator;
use crate::init::initial_values;
use crate::lanes::LaneRef;
use crate::memory::{Estimate, about, available_bytes, estimate};
use crate::observer::{Checkpoint, Observer, Record, Summary};
use crate::registry::{OptimizerFactory, TransformFactory};

/// A config with its parts built: ready to run.
pub struct Experiment {
    /// The resolved config.
    pub config: Config,
    /// The problem.
    pub problem: Box<dyn Problem>,
    /// The loss.
    pub loss: Box<dyn Loss>,
    /// The starting point, one matrix per parameter (already rounded to the dtype).
    pub start: Vec<Matrix>,
    /// When set (by a Ctrl-C handler), the loop stops before its next iteration, as `interrupted`.
    pub interrupt: Option<Arc<AtomicBool>>,
    /// When set (by a SIGTERM or SIGHUP handler), the loop stops before its next iteration, as
    /// `terminated`.
    pub terminate: Option<Arc<AtomicBool>>,
    /// Whether the loop uses the problem's host gradient (`gradient = "auto"` where the problem
    /// and the loss provide one, or `"analytic"`); candle's autodiff otherwise.
    pub host_gradient: bool,
    /// Whether building the problem drew nothing from the run's random streams: the problem is
    /// then the same for every seed, and runs of other seeds can share it ([`Experiment::lane`]).
    pub seed_free: bool,
    /// The host objective, built once: a run takes it and puts it back when it ends.
    host: std::sync::Mutex<Option<HostBox>>,
    pub(crate) device: Device,
    /// When [`Experiment::new`] started: `setup_seconds` runs from here to iteration 0.
    pub(crate) created: Instant,
}

impl Experiment {
    /// What a config needs, estimated from its keys and the shapes of its matrices before
    /// anything is drawn, read or built (`None` for a problem that gives no footprint); a config
    /// error naming the key that sets the size when the estimate exceeds `max_memory`.
    pub fn estimate(config: &Config) -> Result<Option<Estimate>, ConfigError> {
        let available = available_bytes();
        let limit = config.max_memory.bytes(available);
        let device = config
            .device
            .candle()
            .map_err(|e| config.doc.error_at("device", e.to_string()))?;
        let mut shapes = RunContext::new(config.dtype, device, config.seed)
            .with_limit(limit)
            .with_given(config.given.clone());
        let footprint = config
            .problem
            .footprint(&mut shapes)
            .map_err(|e| problem_error(config, e))?;
        let Some(footprint) = footprint else {
            return Ok(None);
        };
        let bytes = estimate(
            &footprint,
            config.dtype,
            config.optimizer.state_slots(),
            config.log_every > 0,
        );
        if bytes > u128::from(limit) {
            return Err(config.doc.error_at(
                &format!("problem.{}", footprint.key),
                format!(
                    "the run would need {} ({} parameter entries, {} more in the problem's \
                     data and exact answers), more than max_memory = {}; make the problem smaller, or \
                     raise max_memory (or --max-memory) if the machine has the memory",
                    about(bytes),
                    footprint.parameters,
                    footprint.data,
                    config.max_memory.describe(available)
                ),
            ));
        }
        Ok(Some(Estimate {
            bytes,
            key: footprint.key,
            instances: footprint.instances,
        }))
    }

    /// Build the problem and the loss of a resolved config; bad values are config errors. The
    /// memory estimate ([`Experiment::estimate`]) is checked first.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let created = Instant::now();
        Self::estimate(&config)?;
        let device = config
            .device
            .candle()
            .map_err(|e| config.doc.error_at("device", e.to_string()))?;
        let limit = config.max_memory.bytes(available_bytes());
        let mut ctx = RunContext::new(config.dtype, device.clone(), config.seed)
            .with_limit(limit)
            .with_given(config.given.clone());
        let problem = config
            .problem
            .build(&mut ctx)
            .map_err(|e| problem_error(&config, e))?;
        let loss = config.loss.build();
        let seed_free = ctx.streams_mut().untouched();
        let start = initial_values(
            &config.init,
            config.dtype,
            problem.as_ref(),
            config.project,
            &mut ctx,
        )
        .map_err(|(key, reason)| config.doc.error_at(&format!("init.{key}"), reason))?;
        let host = match config.gradient {
            GradientKind::Autodiff => None,
            GradientKind::Auto | GradientKind::Analytic => match config.dtype {
                Dtype::F32 => problem.host_f32(loss.as_ref()).map(HostBox::F32),
                Dtype::F64 => problem.host_f64(loss.as_ref()).map(HostBox::F64),
            },
        };
        let host_gradient = host.is_some();
        match config.gradient {
            GradientKind::Autodiff | GradientKind::Auto => {}
            GradientKind::Analytic if host_gradient => {}
            GradientKind::Analytic => {
                return Err(config.doc.error_at(
                    "gradient",
                    format!(
                        "the `{}` problem gives no host gradient under the `{}` loss (a problem or \
                         loss of one's own without `host_f32`/`host_f64` or `elementwise`); use \
                         gradient = \"auto\" or \"autodiff\"",
                        problem.kind(),
                        loss.name()
                    ),
                ));
            }
        }
        Ok(Self {
            config,
            problem,
            loss,
            start,
            interrupt: None,
            terminate: None,
            host_gradient,
            seed_free,
            host: std::sync::Mutex::new(host),
            device,
            created,
        })
    }

    /// Run the loop, telling `observers` everything; returns the summary.
    ///
    /// The loop runs on a worker thread of rayon's global pool (where it is not on one already),
    /// and the caller waits. faer's threaded products then split their work by work stealing;
    /// called from outside the pool, each one wakes the workers and sleeps on a latch until they
    /// finish, which cost about 10% of two 256^3 products and a pass (docs/performance.md).
    pub fn run(&self, observers: &mut [&mut dyn Observer]) -> anyhow::Result<Summary> {
        let lane = LaneRef {
            config: &self.config,
            start: &self.start,
        };
        self.run_refs(&[lane], &mut [observers])
            .pop()
            .unwrap_or_else(|| Err(anyhow::anyhow!("the run produced no summary")))
    }

    /// Run `lanes` on a worker thread of rayon's pool (see [`Experiment::run`]).
    pub(crate) fn run_refs(
        &self,
        lanes: &[LaneRef<'_>],
        observers: &mut [&mut [&mut dyn Observer]],
    ) -> Vec<anyhow::Result<Summary>> {
        if rayon::current_thread_index().is_some() {
            return self.run_here(lanes, observers);
        }
        let mut outcome = None;
        rayon::scope(|s| s.spawn(|_| outcome = Some(self.run_here(lanes, observers))));
        outcome.unwrap_or_else(|| {
            vec![Err(anyhow::anyhow!(
                "the run's worker thread returned nothing"
            ))]
        })
    }

    /// The lanes on the calling thread (with subnormals flushed on every thread of the pool
    /// while they run, when `flush_denormal` asks).
    fn run_here(
        &self,
        lanes: &[LaneRef<'_>],
        observers: &mut [&mut [&mut dyn Observer]],
    ) -> Vec<anyhow::Result<Summary>> {
        if !self.config.flush_denormal {
            return self.run_typed_here(lanes, observers);
        }
        // Each thread's mode is its own: set it on every thread of the pool (this one and the
        // workers faer's products run on), and give each its own back after the run.
        let previous = rayon::broadcast(|_| descent_tensor::set_flush_denormal(true));
        let outcome = self.run_typed_here(lanes, observers);
        rayon::broadcast(|ctx| {
            descent_tensor::set_flush_denormal(previous[ctx.index()].unwrap_or(false))
        });
        outcome
    }

    /// The loop in the config's dtype.
    fn run_typed_here(
        &self,
        lanes: &[LaneRef<'_>],
        observers: &mut [&mut [&mut dyn Observer]],
    ) -> Vec<anyhow::Result<Summary>> {
        match self.config.dtype {
            Dtype::F32 => self.run_typed::<f32>(lanes, observers),
            Dtype::F64 => self.run_typed::<f64>(lanes, observers),
        }
    }

    /// Plain SGD's largest stable learning rate `2 / L` for quadratic problems under a squared
    /// loss (L: the largest eigenvalue of the loss's Hessian); `None` where unknown. Takes a
    /// singular value decomposition, so the loop asks only when a run diverges.
    pub fn stable_lr(&self) -> Option<f64> {
        // A batch's objective is the sum of its instances' losses: mse scales by the entries of
        // one instance, not of the whole stack.
        let batch = self.problem.linear_form().map_or(1, |f| f.batch.max(1));
        let entries = self.problem.target().elem_count() / batch;
        self.problem
            .curvature()
            .zip(self.loss.square_sum_scale(entries))
            .map(|(curvature, scale)| 2.0 / (curvature * scale))
            .filter(|lr| lr.is_finite())
    }

    /// The exact answer, one named matrix per parameter.
    pub fn exact(&self) -> Vec<(String, Matrix)> {
        self.problem
            .parameters()
            .iter()
            .zip(self.problem.exact())
            .map(|(p, m)| (p.name.clone(), m.clone()))
            .collect()
    }

    /// One line describing the run (problem, shape, optimizer, lr, iterations, dtype, seed).
    pub fn headline(&self) -> String {
        self.headline_of(&self.config)
    }

    /// [`Experiment::headline`] of a lane's config.
    pub(crate) fn headline_of(&self, c: &Config) -> String {
        let p = &self.problem.parameters()[0];
        format!(
            "{}: {} ({}x{}), {} lr {}, {} iterations, {}, seed {}",
            c.name,
            self.problem.kind(),
            p.rows,
            p.cols,
            c.optimizer
                .resolved()
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or("?"),
            c.optimizer.lr(),
            c.iterations,
            c.dtype.name(),
            c.seed
        )
    }

    /// The relative error of `params` against the exact answer (as the summary's `rel_error`).
    pub(crate) fn rel_error_at<F: Real>(&self, params: &[Vec<F>]) -> anyhow::Result<f64> {
        let matrices: Vec<Matrix> = self
            .problem
            .parameters()
            .iter()
            .zip(params)
            .map(|(spec, p)| {
                Matrix::new(spec.rows, spec.cols, p.iter().map(|v| v.widen()).collect())
            })
            .collect::<Result<_, _>>()?;
        Ok(self.problem.errors(&matrices)?.rel_frobenius)
    }

    /// The stored host objective in `F` (built by [`Experiment::new`]), or a new one when a run
    /// before this one ended early and did not give it back.
    pub(crate) fn take_host<F: Element>(&self) -> Option<Box<dyn HostObjective<F>>> {
        let stored = self
            .host
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        stored
            .and_then(F::unbox)
            .or_else(|| F::host_objective(self.problem.as_ref(), self.loss.as_ref()))
    }

    /// Keep the host objective for the next run of this experiment.
    pub(crate) fn put_back<F: Element>(&self, host: Box<dyn HostObjective<F>>) {
        *self
            .host
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(F::boxed(host));
    }
}

/// A host objective in the run's dtype.
pub(crate) enum HostBox {
    F32(Box<dyn HostObjective<f32>>),
    F64(Box<dyn HostObjective<f64>>),
}

/// Tell `observers` the checkpoint of `record`: the prediction at `params` minus `target`.
pub(crate) fn checkpoint<F: Real>(
    observers: &mut [&mut dyn Observer],
    evaluator: &Evaluator<'_>,
    params: &[Vec<F>],
    target: &Matrix,
    record: Record,
    label: &str,
    rel_error: f64,
) -> anyhow::Result<()> {
    let checkpoint = Checkpoint {
        record,
        difference: evaluator.prediction(params)?.sub(target)?,
        label: label.to_string(),
        rel_error,
    };
    for o in observers.iter_mut() {
        o.checkpoint(&checkpoint)?;
    }
    Ok(())
}

/// A problem's error as a config error at its key.
fn problem_error(config: &Config, e: ProblemError) -> ConfigError {
    match e {
        ProblemError::Invalid { key, reason } => {
            config.doc.error_at(&format!("problem.{key}"), reason)
        }
        other => config.doc.error_at("problem", other.to_string()),
    }
}

/// An element type a run can compute in: picks the optimizer build for it.
pub(crate) trait Element: Real {
    fn host_objective(
        problem: &dyn Problem,
        loss: &dyn Loss,
    ) -> Option<Box<dyn HostObjective<Self>>>;
    fn unbox(host: HostBox) -> Option<Box<dyn HostObjective<Self>>>;
    fn boxed(host: Box<dyn HostObjective<Self>>) -> HostBox;
    fn optimizer(factory: &dyn OptimizerFactory) -> Box<dyn Optimizer<Self>>;
    fn transform(factory: &dyn TransformFactory, seed: i64) -> Box<dyn Transform<Self>>;
}

impl Element for f32 {
    fn host_objective(
        problem: &dyn Problem,
        loss: &dyn Loss,
    ) -> Option<Box<dyn HostObjective<Self>>> {
        problem.host_f32(loss)
    }
    fn unbox(host: HostBox) -> Option<Box<dyn HostObjective<Self>>> {
        match host {
            HostBox::F32(h) => Some(h),
            HostBox::F64(_) => None,
        }
    }
    fn boxed(host: Box<dyn HostObjective<Self>>) -> HostBox {
        HostBox::F32(host)
    }
    fn optimizer(factory: &dyn OptimizerFactory) -> Box<dyn Optimizer<Self>> {
        factory.build_f32()
    }
    fn transform(factory: &dyn TransformFactory, seed: i64) -> Box<dyn Transform<Self>> {
        factory.build_f32(seed)
    }
}

impl Element for f64 {
    fn host_objective(
        problem: &dyn Problem,
        loss: &dyn Loss,
    ) -> Option<Box<dyn HostObjective<Self>>> {
        problem.host_f64(loss)
    }
    fn unbox(host: HostBox) -> Option<Box<dyn HostObjective<Self>>> {
        match host {
            HostBox::F64(h) => Some(h),
            HostBox::F32(_) => None,
        }
    }
    fn boxed(host: Box<dyn HostObjective<Self>>) -> HostBox {
        HostBox::F64(host)
    }
    fn optimizer(factory: &dyn OptimizerFactory) -> Box<dyn Optimizer<Self>> {
        factory.build_f64()
    }
    fn transform(factory: &dyn TransformFactory, seed: i64) -> Box<dyn Transform<Self>> {
        factory.build_f64(seed)
    }
}
