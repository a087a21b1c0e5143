//! Lanes: runs of one experiment's problem in one loop, each with its own config (optimizer, lr, momentum, schedule, seed, start, stop rules) and observers, and the same bits as each run alone.
//!
//! The loop advances every lane by one iteration before the next: the gradients of all lanes
//! at iteration t (the problem's host kernel, lane after lane), then each lane's update with its
//! own hyper-parameters. The problem, its exact answer and the host objective are built once.
//! A single run ([`Experiment::run`]) is one lane.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use descent_optim::{Averager, Optimizer, Schedule, Shape};
use descent_tensor::Matrix;
use toml::Table;

use crate::RunContext;
use crate::config::Config;
use crate::error::ConfigError;
use crate::evaluate::Evaluator;
use crate::hint::divergence_hint;
use crate::init::initial_values;
use crate::observer::{AverageSummary, Observer, Record, Start, StopReason, Summary};
use crate::stop::StopRules;
use crate::theory::RunTheory;
use crate::train::{Element, Experiment, checkpoint};
use crate::transformed::Transformed;

/// One run on an experiment's problem: its own config and starting point. Made by
/// [`Experiment::lane`].
#[derive(Debug)]
pub struct Lane {
    /// The lane's config: the experiment's problem, loss, dtype and gradient; its own
    /// optimizer, schedule, transforms, seed, init, stop rules and iterations.
    pub config: Config,
    /// Its starting point.
    pub start: Vec<Matrix>,
}

/// A lane by reference (a single run's config and start are the experiment's own).
#[derive(Clone, Copy)]
pub(crate) struct LaneRef<'a> {
    pub(crate) config: &'a Config,
    pub(crate) start: &'a [Matrix],
}

impl Experiment {
    /// A lane of this experiment for `config`, which must have the experiment's problem, loss,
    /// dtype, gradient and flush_denormal (a config error at the first that differs). Its seed
    /// may differ only when the problem drew nothing from the run's random streams
    /// ([`Experiment::seed_free`]): then its starting point is drawn as a run of that seed alone
    /// would draw it.
    pub fn lane(&self, config: Config) -> Result<Lane, ConfigError> {
        let mine = &self.config;
        let same = [
            (
                "problem",
                config.problem.resolved() == mine.problem.resolved(),
            ),
            ("loss", config.loss.resolved() == mine.loss.resolved()),
            ("dtype", config.dtype == mine.dtype),
            ("gradient", config.gradient == mine.gradient),
            (
                "flush_denormal",
                config.flush_denormal == mine.flush_denormal,
            ),
            ("project", config.project == mine.project),
        ];
        if let Some((key, _)) = same.iter().find(|(_, same)| !same) {
            return Err(config.doc.error_at(
                key,
                format!("a lane shares its experiment's `{key}`, and this one differs"),
            ));
        }
        if config.seed == mine.seed && config.init == mine.init {
            let start = self.start.clone();
            return Ok(Lane { config, start });
        }
        if !self.seed_free {
            return Err(config.doc.error_at(
                "seed",
                "the problem draws from the run's random stream: only lanes of the same seed and \
                 init share it"
                    .into(),
            ));
        }
        let mut ctx = RunContext::new(config.dtype, self.device.clone(), config.seed);
        let start = initial_values(
            &config.init,
            config.dtype,
            self.problem.as_ref(),
            config.project,
            &mut ctx,
        )
        .map_err(|(key, reason)| config.doc.error_at(&format!("init.{key}"), reason))?;
        Ok(Lane { config, start })
    }

    /// Run `lanes` in one loop, each telling its own `observers`; a summary (or the error that
    /// stopped it) per lane, in order. Each lane's files and summary are those of running it
    /// alone, bit for bit, but for the wall times.
    pub fn run_lanes(
        &self,
        lanes: &[Lane],
        observers: &mut [&mut [&mut dyn Observer]],
    ) -> Vec<anyhow::Result<Summary>> {
        let refs: Vec<LaneRef<'_>> = lanes
            .iter()
            .map(|l| LaneRef {
                config: &l.config,
                start: &l.start,
            })
            .collect();
        if refs.len() != observers.len() {
            return vec![Err(anyhow::anyhow!(
                "{} lanes and {} lists of observers",
                refs.len(),
                observers.len()
            ))];
        }
        self.run_refs(&refs, observers)
    }

    /// The lanes in the experiment's dtype: the loop.
    pub(crate) fn run_typed<F: Element>(
        &self,
        lanes: &[LaneRef<'_>],
        observers: &mut [&mut [&mut dyn Observer]],
    ) -> Vec<anyhow::Result<Summary>> {
        let tables: Vec<Table> = lanes
            .iter()
            .map(|l| l.config.optimizer.resolved())
            .collect();
        let causes: Vec<Box<dyn Fn(f64) -> String + '_>> = tables
            .iter()
            .map(|t| {
                Box::new(move |lr| divergence_hint(t, self.stable_lr().map(|s| 2.0 / s), lr))
                    as Box<dyn Fn(f64) -> String>
            })
            .collect();
        let mut runs: Vec<Result<LaneRun<'_, F>, anyhow::Error>> = lanes
            .iter()
            .zip(observers.iter_mut())
            .zip(tables.iter().zip(&causes))
            .enumerate()
            .map(|(k, ((lane, obs), (table, cause)))| {
                self.set_up::<F>(*lane, k == 0, table.clone(), cause.as_ref(), obs)
            })
            .collect();
        let timed = lanes.len() > 1;
        let longest = lanes.iter().map(|l| l.config.iterations).max().unwrap_or(0);
        let loop_timer = Instant::now();
        for t in 0..longest {
            let mut any = false;
            for (run, obs) in runs.iter_mut().zip(observers.iter_mut()) {
                let Ok(lane) = run else { continue };
                if !lane.active {
                    continue;
                }
                if t >= lane.config.iterations {
                    lane.active = false;
                    continue;
                }
                any = true;
                let began = timed.then(Instant::now);
                let stepped = self.iterate(lane, t, obs);
                if let Some(began) = began {
                    lane.spent += began.elapsed();
                }
                if let Err(e) = stepped {
                    *run = Err(e);
                }
            }
            if !any {
                break;
            }
        }
        let loop_seconds = loop_timer.elapsed();
        runs.into_iter()
            .zip(observers.iter_mut())
            .map(|(run, obs)| {
                let mut lane = run?;
                if !timed {
                    lane.spent = loop_seconds;
                }
                self.finish(lane, obs)
            })
            .collect()
    }

    /// A lane's state before its first iteration, its observers told the start.
    fn set_up<'a, F: Element>(
        &'a self,
        lane: LaneRef<'a>,
        first: bool,
        optimizer_table: Table,
        cause: &'a dyn Fn(f64) -> String,
        observers: &mut [&mut dyn Observer],
    ) -> anyhow::Result<LaneRun<'a, F>> {
        let c = lane.config;
        let params: Vec<Vec<F>> = lane
            .start
            .iter()
            .map(|m| m.data().iter().map(|&v| F::host(v)).collect())
            .collect();
        let objective = Transformed {
            evaluator: Evaluator {
                problem: self.problem.as_ref(),
                loss: self.loss.as_ref(),
                device: self.device.clone(),
            },
            host: if !self.host_gradient {
                None
            } else if first {
                self.take_host::<F>()
            } else {
                F::host_objective(self.problem.as_ref(), self.loss.as_ref())
            },
            transforms: c
                .transforms
                .iter()
                .map(|t| F::transform(t.as_ref(), c.seed))
                .collect(),
            evaluations: 0,
            fixed: (0..self.problem.parameters().len())
                .map(|i| self.problem.fixed(i).map(<[bool]>::to_vec))
                .collect(),
            project: (0..self.problem.parameters().len())
                .map(|i| c.project.and(self.problem.projection(i)))
                .collect(),
        };
        let mut optimizer = F::optimizer(c.optimizer.as_ref());
        let shapes: Vec<Shape> = self
            .problem
            .parameters()
            .iter()
            .map(|p| Shape::new(p.rows, p.cols))
            .collect();
        optimizer
            .set_shapes(&shapes)
            .map_err(|e| anyhow::anyhow!("optimizer: {e}"))?;
        let schedule = c
            .schedule
            .build(c.optimizer.lr(), c.iterations)
            .map_err(|e| anyhow::anyhow!("schedule.{}: {}", e.key, e.reason))?;
        let theory = RunTheory::new(
            self.problem.as_ref(),
            self.loss.as_ref(),
            &optimizer_table,
            !c.transforms.is_empty(),
            lane.start,
            c.theory,
        );
        let start = Start {
            name: c.name.clone(),
            headline: self.headline_of(c),
            prediction_label: self.problem.prediction_label(),
            prediction: objective.evaluator.prediction(&params)?,
            inputs: self.problem.inputs(),
            problem: self.problem.kind().to_string(),
            exact: self.exact(),
        };
        for o in observers.iter_mut() {
            o.start(&start)?;
        }
        // The start's prediction, inputs and exact answer are the observers' now; the loop keeps
        // only the label (at n = 1024 the prediction alone is 8 MB).
        let label = format!(
            "{} - {}",
            start.prediction_label,
            self.problem.target_label()
        );
        drop(start);
        // The target as a host matrix, only for the checkpoints' differences.
        let target = if c.log_every > 0 {
            Some(objective.evaluator.target()?)
        } else {
            None
        };
        let wants_iterates = observers.iter().any(|o| o.wants_iterates());
        if wants_iterates {
            let start = widen(&params);
            for o in observers.iter_mut() {
                o.iterate(0, &start)?;
            }
        }
        // The gradient's buffers, kept for the whole loop.
        let grads: Vec<Vec<F>> = params.iter().map(|p| vec![F::zero(); p.len()]).collect();
        let setup_seconds = Instant::now().duration_since(self.created).as_secs_f64();
        let last_lr = schedule.lr();
        Ok(LaneRun {
            config: c,
            start: lane.start,
            params,
            grads,
            objective,
            optimizer,
            averager: c.average.clone().map(Averager::new),
            avg_grads: Vec::new(),
            schedule,
            optimizer_table,
            theory,
            rules: StopRules::new(&c.stop, cause),
            label,
            target,
            wants_iterates,
            setup_seconds,
            stop: StopReason::Iterations,
            message: None,
            done: 0,
            used: 0,
            last_lr,
            active: true,
            spent: Duration::ZERO,
        })
    }

    /// Iteration `t` of a lane: its record, its stop rules, its checkpoint and its update.
    fn iterate<F: Element>(
        &self,
        lane: &mut LaneRun<'_, F>,
        t: usize,
        observers: &mut [&mut dyn Observer],
    ) -> anyhow::Result<()> {
        let c = lane.config;
        let set = |flag: &Option<std::sync::Arc<std::sync::atomic::AtomicBool>>| {
            flag.as_ref()
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
        };
        if set(&self.interrupt) {
            lane.stop = StopReason::Interrupted;
            lane.message = Some(format!("interrupted before iteration {t}"));
            lane.active = false;
            return Ok(());
        }
        if set(&self.terminate) {
            lane.stop = StopReason::Terminated;
            lane.message = Some(format!(
                "terminated (SIGTERM or SIGHUP) before iteration {t}"
            ));
            lane.active = false;
            return Ok(());
        }
        let (loss, grad_norm) = lane
            .objective
            .raw_into(&lane.params, &mut lane.grads)
            .with_context(|| format!("evaluating iteration {t}"))?;
        let avg_loss = match average_point(&lane.averager, lane.optimizer.as_ref()) {
            Some((point, _)) => Some(loss_at(&mut lane.objective, point, &mut lane.avg_grads)?),
            None => None,
        };
        let record = Record {
            iteration: t,
            lr: lane.schedule.lr(),
            loss,
            grad_norm,
            predicted_loss: lane.theory.predicted_loss(),
            avg_loss,
        };
        lane.theory.observe(t, loss);
        lane.last_lr = record.lr;
        for o in observers.iter_mut() {
            o.record(&record)?;
        }
        if let Some((reason, why)) = lane.rules.check(&record) {
            lane.stop = reason;
            lane.message = Some(why);
            lane.active = false;
            return Ok(());
        }
        if let Some(x) = c
            .stop
            .evaluations
            .filter(|&x| lane.objective.evaluations > x)
        {
            // This iteration's evaluation went past the budget: no update follows.
            lane.stop = StopReason::Evaluations;
            lane.message = Some(format!(
                "the budget of evaluations = {x} ran out at iteration {t}"
            ));
            lane.active = false;
            return Ok(());
        }
        // The relative error at this iterate, computed once for the stop rule and the checkpoint.
        let mut rel_error = None;
        if let Some(x) = c.stop.rel_error_below {
            let rel = self.rel_error_at(answer(&lane.params, lane.optimizer.as_ref()))?;
            rel_error = Some(rel);
            if rel < x {
                lane.stop = StopReason::RelErrorBelow;
                lane.message = Some(format!(
                    "the relative error {} fell below rel_error_below = {x} at iteration {t}",
                    crate::console::sci(rel, 3)
                ));
                lane.active = false;
                return Ok(());
            }
        }
        if let Some(target) = lane
            .target
            .as_ref()
            .filter(|_| t.is_multiple_of(c.log_every))
        {
            checkpoint(
                observers,
                &lane.objective.evaluator,
                &lane.params,
                target,
                record,
                &lane.label,
                rel_error.unwrap_or_else(|| {
                    self.rel_error_at(answer(&lane.params, lane.optimizer.as_ref()))
                        .unwrap_or(f64::NAN)
                }),
            )?;
        }
        lane.objective.transform(&mut lane.grads);
        if let Some(momentum) = lane.schedule.momentum() {
            lane.optimizer.set_momentum(momentum);
        }
        lane.optimizer
            .step(
                &mut lane.params,
                &lane.grads,
                record.lr,
                &mut lane.objective,
            )
            .with_context(|| format!("optimizer step at iteration {t}"))?;
        // Projected gradient descent: back onto each parameter's constraint set; and fixed
        // entries stay zero whatever the optimizer mixed into them (Muon, Shampoo).
        for (p, project) in lane.params.iter_mut().zip(&lane.objective.project) {
            project.apply(p);
        }
        crate::transformed::zero_fixed(&lane.objective.fixed, &mut lane.params);
        if let Some(a) = &mut lane.averager {
            a.update(&lane.params);
        }
        lane.theory.step(record.lr, lane.schedule.momentum());
        lane.schedule.step(loss);
        lane.done = t + 1;
        lane.used = lane.objective.evaluations;
        if lane.wants_iterates {
            let now = widen(&lane.params);
            for o in observers.iter_mut() {
                o.iterate(lane.done, &now)?;
            }
        }
        Ok(())
    }

    /// A lane's end: the final iterate's loss and checkpoint, its summary, its observers told.
    fn finish<F: Element>(
        &self,
        mut lane: LaneRun<'_, F>,
        observers: &mut [&mut dyn Observer],
    ) -> anyhow::Result<Summary> {
        let c = lane.config;
        let specs = self.problem.parameters();
        let wall_seconds = lane.spent.as_secs_f64();
        let evaluations = lane.used;
        let last = lane.objective.raw_into(&lane.params, &mut lane.grads).ok();
        let mut final_loss = last.map_or(f64::NAN, |(loss, _)| loss);
        let average = match average_point(&lane.averager, lane.optimizer.as_ref()) {
            Some((point, is_answer)) => {
                let loss =
                    loss_at(&mut lane.objective, point, &mut lane.avg_grads).unwrap_or(f64::NAN);
                Some((point.to_vec(), is_answer, loss))
            }
            None => None,
        };
        // The final iterate's difference too, when checkpoints are on (the loop's are all before
        // it): the report's grid ends with where the run ended.
        if let Some(target) = lane.target.as_ref() {
            let record = Record {
                iteration: lane.done,
                lr: lane.schedule.lr(),
                loss: final_loss,
                grad_norm: last.map_or(f64::NAN, |(_, norm)| norm),
                predicted_loss: lane.theory.predicted_loss(),
                avg_loss: average.as_ref().map(|(_, _, loss)| *loss),
            };
            checkpoint(
                observers,
                &lane.objective.evaluator,
                &lane.params,
                target,
                record,
                &lane.label,
                self.rel_error_at(answer(&lane.params, lane.optimizer.as_ref()))
                    .unwrap_or(f64::NAN),
            )?;
        }
        if lane.stop != StopReason::Diverged && !final_loss.is_finite() {
            lane.stop = StopReason::Diverged;
            lane.message = Some(format!(
                "the loss is {final_loss} after the last update (iteration {}): {}",
                lane.done,
                lane.rules.cause(lane.schedule.lr())
            ));
        }
        let named = |params: &[Vec<F>]| -> anyhow::Result<Vec<(String, Matrix)>> {
            let named = specs
                .iter()
                .zip(params)
                .map(|(spec, p)| {
                    Matrix::new(spec.rows, spec.cols, p.iter().map(|v| v.widen()).collect())
                        .map(|m| (spec.name.clone(), m))
                })
                .collect::<Result<_, _>>()?;
            Ok(named)
        };
        let mut result = named(&lane.params)?;
        let optimizer_kind = lane
            .optimizer_table
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("?")
            .to_string();
        let (average, averaged) = match average {
            Some((point, is_answer, loss)) => {
                let m = named(&point)?;
                let only: Vec<Matrix> = m.iter().map(|(_, m)| m.clone()).collect();
                let e = self.problem.errors(&only)?;
                if is_answer {
                    // The method's answer is the average (schedule-free's x).
                    result = m.clone();
                    final_loss = loss;
                }
                let source = lane
                    .averager
                    .as_ref()
                    .map_or(optimizer_kind.clone(), |a| a.config().kind.name().into());
                let summary = AverageSummary {
                    source,
                    is_answer,
                    final_loss: loss,
                    max_abs_error: e.max_abs,
                    rel_error: e.rel_frobenius,
                };
                (Some(summary), Some(m))
            }
            None => (None, None),
        };
        let matrices: Vec<Matrix> = result.iter().map(|(_, m)| m.clone()).collect();
        let errors = self.problem.errors(&matrices)?;
        let summary = Summary {
            name: c.name.clone(),
            problem: self.problem.kind().to_string(),
            optimizer: optimizer_kind,
            dtype: c.dtype.name().to_string(),
            gradient: if self.host_gradient {
                "analytic"
            } else {
                "autodiff"
            }
            .to_string(),
            seed: c.seed,
            iterations: lane.done,
            evaluations,
            final_loss,
            stop_reason: lane.stop,
            message: lane.message.take(),
            max_abs_error: errors.max_abs,
            rel_error: errors.rel_frobenius,
            wall_seconds,
            setup_seconds: lane.setup_seconds,
            iterations_per_second: if wall_seconds > 0.0 {
                lane.done as f64 / wall_seconds
            } else {
                f64::INFINITY
            },
            facts: self.problem.facts(lane.start, &matrices),
            compared: self
                .problem
                .compared(&matrices)
                .map(|ms| specs.iter().map(|p| p.name.clone()).zip(ms).collect()),
            compared_note: self.problem.compared_note(),
            average,
            averaged,
            theory: lane.theory.facts(
                &lane.optimizer_table,
                lane.last_lr,
                lane.done,
                errors.rel_frobenius,
                c.tolerance,
                c.dtype,
                lane.stop == StopReason::Diverged,
            ),
        };
        if let Some(host) = lane.objective.host.take() {
            self.put_back(host);
        }
        for o in observers.iter_mut() {
            o.finish(&summary, &result)?;
        }
        Ok(summary)
    }
}

/// A lane in the loop.
struct LaneRun<'a, F: Element> {
    config: &'a Config,
    start: &'a [Matrix],
    params: Vec<Vec<F>>,
    grads: Vec<Vec<F>>,
    objective: Transformed<'a, F>,
    optimizer: Box<dyn Optimizer<F>>,
    /// `[average]`'s averaged iterate.
    averager: Option<Averager<F>>,
    /// The gradient buffers of the averaged iterate's evaluations (its gradient is not used).
    avg_grads: Vec<Vec<F>>,
    schedule: Box<dyn Schedule>,
    optimizer_table: Table,
    theory: RunTheory,
    rules: StopRules<'a>,
    label: String,
    target: Option<Matrix>,
    wants_iterates: bool,
    setup_seconds: f64,
    stop: StopReason,
    message: Option<String>,
    /// Updates done.
    done: usize,
    /// Evaluations the updates used (an iteration that ends the loop before its update does not
    /// count its own).
    used: usize,
    last_lr: f64,
    active: bool,
    /// The time spent in this lane's iterations (the loop's whole time for a single lane).
    spent: Duration,
}

/// The averaged iterate a lane reports, where it keeps one: `[average]`'s, else the optimizer's
/// own; with whether it is the method's answer.
fn average_point<'b, F: Element>(
    averager: &'b Option<Averager<F>>,
    optimizer: &'b dyn Optimizer<F>,
) -> Option<(&'b [Vec<F>], bool)> {
    match averager {
        Some(a) => a.point().map(|p| (p, false)),
        None => optimizer.averaged().map(|a| (a.point, a.is_answer)),
    }
}

/// The point whose error a run reports: the optimizer's average where that is the method's
/// answer (schedule-free's x), else the parameters.
fn answer<'b, F: Element>(params: &'b [Vec<F>], optimizer: &'b dyn Optimizer<F>) -> &'b [Vec<F>] {
    match optimizer.averaged() {
        Some(a) if a.is_answer => a.point,
        _ => params,
    }
}

/// The loss at `point`, its gradient left in `scratch`; not counted as an evaluation (the
/// averaged iterate's loss is recorded, not used by the optimizer).
fn loss_at<F: Element>(
    objective: &mut Transformed<'_, F>,
    point: &[Vec<F>],
    scratch: &mut Vec<Vec<F>>,
) -> anyhow::Result<f64> {
    if scratch.len() != point.len() {
        *scratch = point.iter().map(|p| vec![F::zero(); p.len()]).collect();
    }
    let (loss, _) = objective
        .raw_into(point, scratch)
        .context("evaluating the averaged iterate")?;
    objective.evaluations -= 1;
    Ok(loss)
}

/// The parameters in f64, for observers of the iterates.
fn widen<F: Element>(params: &[Vec<F>]) -> Vec<Vec<f64>> {
    params
        .iter()
        .map(|p| p.iter().map(|v| v.widen()).collect())
        .collect()
}
