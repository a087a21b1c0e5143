//! Signals: SIGINT stops a run cleanly as `interrupted`, SIGTERM and SIGHUP as `terminated`; a second signal of any kind exits at once.
//!
//! The run finishes its current iteration, then writes every file as at a normal end. A second
//! signal (for instance while the pictures are drawn) exits immediately with 128 + its number;
//! the data files are written before any picture, so they are complete by then.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The flags a signal sets, and which signal came first.
#[derive(Debug, Clone)]
pub struct Flags {
    /// Set by SIGINT.
    pub interrupt: Arc<AtomicBool>,
    /// Set by SIGTERM or SIGHUP.
    pub terminate: Arc<AtomicBool>,
    /// The number of the first signal (0: none yet).
    pub first: Arc<AtomicI32>,
}

impl Flags {
    /// The exit status for a run stopped by the first signal: 128 + its number (130 for SIGINT,
    /// 143 for SIGTERM, 129 for SIGHUP).
    pub fn exit_status(&self) -> u8 {
        u8::try_from(128 + self.first.load(Ordering::SeqCst)).unwrap_or(1)
    }
}

/// Install the handlers; `None` where signals cannot be caught (then they end the process as
/// they would by default).
#[cfg(unix)]
pub fn install() -> Option<Flags> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let flags = Flags {
        interrupt: Arc::new(AtomicBool::new(false)),
        terminate: Arc::new(AtomicBool::new(false)),
        first: Arc::new(AtomicI32::new(0)),
    };
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).ok()?;
    let f = flags.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                if f.first
                    .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                    .is_err()
                {
                    std::process::exit(128 + signal);
                }
                if signal == SIGINT {
                    f.interrupt.store(true, Ordering::SeqCst);
                } else {
                    f.terminate.store(true, Ordering::SeqCst);
                }
            }
        })
        .ok()?;
    Some(flags)
}

/// Install the handlers; `None` where signals cannot be caught.
#[cfg(not(unix))]
pub fn install() -> Option<Flags> {
    None
}
