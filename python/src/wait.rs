//! Waiting for a run without the GIL, turning Ctrl-C into a clean stop: the run checks its flag before each iteration, as in the terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;

use crate::errors::to_py;

/// How often the waiting thread looks for a signal (Python runs its handlers only between
/// bytecodes, so a Ctrl-C is seen within this).
const POLL: Duration = Duration::from_millis(50);

/// Run `f` on a thread of its own and wait for it with the GIL released, so other Python threads
/// go on. Between waits of [`POLL`] the signal handlers run; when one raises (Ctrl-C), `f`'s
/// stop flag is set and the wait goes on until `f` returns, so the run's files are complete.
///
/// `f`'s value; or, after Ctrl-C, a `KeyboardInterrupt` whose message `interrupted` writes from
/// that value (another exception a handler raised is raised as it is); or `f`'s error as
/// [`to_py`] turns it (`from_dict`: the config was a dict).
pub fn wait_interruptibly<T: Send>(
    py: Python<'_>,
    f: impl FnOnce(Arc<AtomicBool>) -> anyhow::Result<T> + Send,
    from_dict: bool,
    interrupted: impl FnOnce(&T) -> String,
) -> PyResult<T> {
    let flag = Arc::new(AtomicBool::new(false));
    let waiter = std::thread::current();
    let mut raised = None;
    let result = std::thread::scope(|scope| {
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
        handle.join().unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(anyhow::anyhow!(
                "the run stopped on an internal error: {what}"
            ))
        })
    });
    match (result, raised) {
        (Ok(value), Some(e)) if e.is_instance_of::<PyKeyboardInterrupt>(py) => {
            Err(PyKeyboardInterrupt::new_err(interrupted(&value)))
        }
        (_, Some(e)) => Err(e),
        (result, None) => result.map_err(|e| to_py(py, e, from_dict)),
    }
}
