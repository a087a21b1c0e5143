//! Waiting for a run without the GIL, turning Ctrl-C into a clean stop: the run checks its flag before each iteration, as in the terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;

/// How often the waiting thread looks for a signal (Python runs its handlers only between
/// bytecodes, so a Ctrl-C is seen within this).
const POLL: Duration = Duration::from_millis(50);

/// What stopped a wait early: the exception a signal handler raised (a `KeyboardInterrupt` for
/// Ctrl-C), after the run, told to stop, finished and wrote its files.
pub struct Interrupted;

impl Interrupted {
    /// A `KeyboardInterrupt` with `message`.
    pub fn error(message: String) -> PyErr {
        PyKeyboardInterrupt::new_err(message)
    }
}

/// Run `f` on a thread of its own and wait for it with the GIL released, so other Python threads
/// go on. Between waits of [`POLL`] the signal handlers run; when one raises (Ctrl-C), `f`'s
/// stop flag is set and the wait goes on until `f` returns, so the run's files are complete.
/// `f`'s result, and the exception a handler raised, if any.
pub fn wait_interruptibly<T: Send>(
    py: Python<'_>,
    f: impl FnOnce(Arc<AtomicBool>) -> anyhow::Result<T> + Send,
) -> (anyhow::Result<T>, Option<PyErr>) {
    let flag = Arc::new(AtomicBool::new(false));
    let waiter = std::thread::current();
    let mut raised = None;
    std::thread::scope(|scope| {
        let handle = scope.spawn({
            let flag = Arc::clone(&flag);
            move || {
                let result = f(flag);
                waiter.unpark();
                result
            }
        });
        while !handle.is_finished() {
            py.detach(|| {
                if !handle.is_finished() {
                    std::thread::park_timeout(POLL);
                }
            });
            if raised.is_none()
                && let Err(e) = py.check_signals()
            {
                flag.store(true, Ordering::SeqCst);
                raised = Some(e);
            }
        }
        let result = handle.join().unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(anyhow::anyhow!(
                "the run stopped on an internal error: {what}"
            ))
        });
        (result, raised)
    })
}

/// Whether `e` is a `KeyboardInterrupt`.
pub fn is_keyboard_interrupt(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<PyKeyboardInterrupt>(py)
}
